// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha), libsodium's IETF construction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::crypto {

inline constexpr std::size_t kXChaChaKeyBytes = 32;
inline constexpr std::size_t kXChaChaNonceBytes = 24;
inline constexpr std::size_t kXChaChaTagBytes = 16;

// out = ciphertext ‖ 16-byte tag; `out` is resized to plaintext.size() + 16.
void xchacha20poly1305_seal(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                            std::span<const std::uint8_t, kXChaChaNonceBytes> nonce,
                            std::span<const std::uint8_t> associated_data,
                            std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out);

// Authenticates and decrypts `sealed` (ciphertext ‖ tag) into `out`; kAuthentication on failure,
// in which case `out` is cleared and holds no plaintext.
Status xchacha20poly1305_open(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                              std::span<const std::uint8_t, kXChaChaNonceBytes> nonce,
                              std::span<const std::uint8_t> associated_data,
                              std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out);

}  // namespace lucid::crypto
