// Key material that is wiped when it goes out of scope.
#pragma once

#include <string.h>  // explicit_bzero

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace lucid {

inline void secure_zero(void* p, std::size_t n) {
  if (p != nullptr) ::explicit_bzero(p, n);  // an empty buffer may have no storage at all
}
inline void secure_zero(std::string& s) {
  secure_zero(s.data(), s.size());
}

// A fixed-size secret (a key): zeroed on destruction and never printed.
template <std::size_t N>
class SecretArray {
 public:
  SecretArray() { bytes_.fill(0); }
  SecretArray(const SecretArray& other) : bytes_(other.bytes_) {}
  SecretArray& operator=(const SecretArray& other) {
    bytes_ = other.bytes_;
    return *this;
  }
  ~SecretArray() { secure_zero(bytes_.data(), N); }

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  static constexpr std::size_t size() { return N; }
  std::span<std::uint8_t, N> span() { return bytes_; }
  std::span<const std::uint8_t, N> span() const { return bytes_; }

 private:
  std::array<std::uint8_t, N> bytes_;
};

}  // namespace lucid
