// X25519 Diffie-Hellman (RFC 7748) over libsodium: key generation, public keys, shared secrets
// that refuse the all-zero result of a low-order peer key.
#pragma once

#include <array>
#include <cstdint>

#include "lucid/base/result.h"
#include "lucid/base/secret.h"

namespace lucid::crypto {

inline constexpr std::size_t kX25519KeyBytes = 32;

using X25519PublicKey = std::array<std::uint8_t, kX25519KeyBytes>;
using X25519SecretKey = SecretArray<kX25519KeyBytes>;  // the 32-byte scalar, clamped by X25519 itself
using X25519SharedSecret = SecretArray<kX25519KeyBytes>;

X25519SecretKey x25519_generate();
X25519PublicKey x25519_public_key(const X25519SecretKey& secret);

// X25519(secret, peer). kAuthentication when the result is all zero bytes (a low-order or
// identity peer point), which RFC 7748 §6.1 and age require callers to refuse.
Result<X25519SharedSecret> x25519_shared_secret(const X25519SecretKey& secret, const X25519PublicKey& peer);

}  // namespace lucid::crypto
