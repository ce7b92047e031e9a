// Ed25519 signatures (RFC 8032, pure Ed25519) over libsodium.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "lucid/base/secret.h"

namespace lucid::crypto {

using Ed25519PublicKey = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;
using Ed25519Seed = SecretArray<32>;  // the RFC 8032 private key

class Ed25519KeyPair {
 public:
  static Ed25519KeyPair from_seed(const Ed25519Seed& seed);
  static Ed25519KeyPair generate();

  const Ed25519PublicKey& public_key() const { return public_key_; }
  const Ed25519Seed& seed() const { return seed_; }
  Ed25519Signature sign(std::span<const std::uint8_t> message) const;

 private:
  Ed25519Seed seed_;
  SecretArray<64> expanded_;  // libsodium's secret key: seed ‖ public key
  Ed25519PublicKey public_key_{};
};

bool ed25519_verify(const Ed25519PublicKey& public_key, std::span<const std::uint8_t> message,
                    const Ed25519Signature& signature);

}  // namespace lucid::crypto
