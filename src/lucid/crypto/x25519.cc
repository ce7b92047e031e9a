#include "lucid/crypto/x25519.h"

#include <sodium.h>

#include "lucid/base/random.h"
#include "lucid/crypto/sodium.h"

namespace lucid::crypto {

X25519SecretKey x25519_generate() {
  X25519SecretKey secret;
  random_bytes(secret.span());
  return secret;
}

X25519PublicKey x25519_public_key(const X25519SecretKey& secret) {
  sodium_ready();
  X25519PublicKey pub{};
  crypto_scalarmult_curve25519_base(pub.data(), secret.data());
  return pub;
}

Result<X25519SharedSecret> x25519_shared_secret(const X25519SecretKey& secret, const X25519PublicKey& peer) {
  sodium_ready();
  X25519SharedSecret shared;
  // libsodium returns -1 for low-order points and all-zero outputs; check the output as well so
  // the rule does not depend on the library version.
  int rc = crypto_scalarmult_curve25519(shared.data(), secret.data(), peer.data());
  if (rc != 0 || sodium_is_zero(shared.data(), shared.size()) == 1)
    return fail(ErrorKind::kAuthentication, "X25519 shared secret is all zero (low-order peer key)");
  return shared;
}

}  // namespace lucid::crypto
