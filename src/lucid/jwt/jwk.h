// Ed25519 public keys as JSON Web Keys (RFC 7517, RFC 8037 "OKP"): what a token issuer publishes and
// its verifiers load; strict reading that refuses a private key where a public one is expected.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/crypto/ed25519.h"
#include "lucid/jwt/jwt.h"

namespace lucid::jwt {

// {"crv":"Ed25519","kid":kid,"kty":"OKP","x":base64url(key)}.
nlohmann::json to_jwk(const crypto::Ed25519PublicKey& key, std::string_view kid);

// The key's JWK thumbprint (RFC 7638): base64url of SHA-256 over {"crv":"Ed25519","kty":"OKP","x":...}
// with no spaces. What an issuer uses as its kid, so the kid follows from the key.
std::string jwk_thumbprint(const crypto::Ed25519PublicKey& key);

// The key of an Ed25519 public JWK: kty "OKP", crv "Ed25519", x 32 bytes in base64url without
// padding; `alg` when present "EdDSA", `use` when present "sig", `key_ops` when present includes
// "verify". A JWK with "d" (a private key) is refused. Errors are kInvalidArgument and quote no key.
Result<crypto::Ed25519PublicKey> from_jwk(const nlohmann::json& jwk);

// A JWK Set ({"keys":[...]}) as a KeySet: every key as from_jwk reads it, each with its own kid.
Result<KeySet> key_set_from_jwks(const nlohmann::json& jwks);

}  // namespace lucid::jwt
