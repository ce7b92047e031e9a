// SecretBytes: a growable byte buffer for plaintext and key material whose every allocation is
// wiped before it is freed (including the old buffer when the vector grows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "lucid/base/secret.h"

namespace lucid {

template <typename T>
struct ZeroingAllocator {
  using value_type = T;
  ZeroingAllocator() = default;
  template <typename U>
  ZeroingAllocator(const ZeroingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_zero(p, n * sizeof(T));
    ::operator delete(p);
  }
  template <typename U>
  bool operator==(const ZeroingAllocator<U>&) const noexcept {
    return true;
  }
};

// Converts to std::span<const std::uint8_t> like any contiguous range; copy it out only into
// another SecretBytes (or SecretArray) so that no unwiped copy is left behind.
using SecretBytes = std::vector<std::uint8_t, ZeroingAllocator<std::uint8_t>>;

}  // namespace lucid
