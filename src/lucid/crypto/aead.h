// ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) AEADs.
// The bulk cipher is OpenSSL's (AVX2/AVX-512 code paths, ~3× libsodium 1.0.18's here);
// HChaCha20 for the extended nonce is libsodium's.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::crypto {

inline constexpr std::size_t kChaChaKeyBytes = 32;
inline constexpr std::size_t kChaChaNonceBytes = 12;
inline constexpr std::size_t kXChaChaKeyBytes = 32;
inline constexpr std::size_t kXChaChaNonceBytes = 24;
inline constexpr std::size_t kXChaChaTagBytes = 16;
inline constexpr std::size_t kChaChaTagBytes = 16;

// out = ciphertext ‖ 16-byte tag; `out` is resized to plaintext.size() + 16.
void chacha20poly1305_seal(std::span<const std::uint8_t, kChaChaKeyBytes> key,
                           std::span<const std::uint8_t, kChaChaNonceBytes> nonce,
                           std::span<const std::uint8_t> associated_data,
                           std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out);

// Authenticates and decrypts `sealed` (ciphertext ‖ tag) into `out`; kAuthentication on failure,
// in which case `out` is cleared and holds no plaintext.
Status chacha20poly1305_open(std::span<const std::uint8_t, kChaChaKeyBytes> key,
                             std::span<const std::uint8_t, kChaChaNonceBytes> nonce,
                             std::span<const std::uint8_t> associated_data,
                             std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out);

// The same contracts with a 24-byte nonce.
void xchacha20poly1305_seal(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                            std::span<const std::uint8_t, kXChaChaNonceBytes> nonce,
                            std::span<const std::uint8_t> associated_data,
                            std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out);

Status xchacha20poly1305_open(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                              std::span<const std::uint8_t, kXChaChaNonceBytes> nonce,
                              std::span<const std::uint8_t> associated_data,
                              std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out);

}  // namespace lucid::crypto
