// BLAKE3 (the official C implementation with SIMD dispatch) behind a small C++ interface.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <blake3.h>

namespace lucid::crypto {

using Digest = std::array<std::uint8_t, 32>;

class Blake3 {
 public:
  Blake3();
  // Keyed mode (32-byte key) and key-derivation mode (context string), as in the BLAKE3 spec.
  static Blake3 keyed(std::span<const std::uint8_t, 32> key);
  static Blake3 derive_key(std::string_view context);

  Blake3& update(std::span<const std::uint8_t> bytes);
  Digest finalize() const;
  // Extendable output: any length, the first 32 bytes equal finalize().
  std::vector<std::uint8_t> finalize_xof(std::size_t length) const;

 private:
  blake3_hasher hasher_;
};

Digest blake3(std::span<const std::uint8_t> bytes);

}  // namespace lucid::crypto
