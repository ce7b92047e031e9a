#include "lucid/crypto/ed25519.h"

#include <sodium.h>

#include "lucid/crypto/sodium.h"

#include "lucid/base/random.h"

namespace lucid::crypto {

Ed25519KeyPair Ed25519KeyPair::from_seed(const Ed25519Seed& seed) {
  sodium_ready();
  Ed25519KeyPair kp;
  kp.seed_ = seed;
  crypto_sign_seed_keypair(kp.public_key_.data(), kp.expanded_.data(), seed.data());
  return kp;
}

Ed25519KeyPair Ed25519KeyPair::generate() {
  Ed25519Seed seed;
  random_bytes(seed.span());
  return from_seed(seed);
}

Ed25519Signature Ed25519KeyPair::sign(std::span<const std::uint8_t> message) const {
  sodium_ready();
  Ed25519Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), expanded_.data());
  return sig;
}

bool ed25519_verify(const Ed25519PublicKey& public_key, std::span<const std::uint8_t> message,
                    const Ed25519Signature& signature) {
  sodium_ready();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) ==
         0;
}

}  // namespace lucid::crypto
