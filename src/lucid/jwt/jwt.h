// Session tokens: JWS compact tokens signed with EdDSA over Ed25519 (RFC 7515, 7519, 8037) and nothing
// else; strict verification against a key set chosen by kid, at a time the caller gives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/crypto/ed25519.h"

namespace lucid::jwt {

// A longer token is refused before anything is decoded.
inline constexpr std::size_t kMaxTokenBytes = 8192;
// A kid longer than this is refused by KeySet::add and never named in an error.
inline constexpr std::size_t kMaxKidBytes = 128;
// Header and payload objects nest at most this deep.
inline constexpr int kMaxJsonDepth = 16;
// exp, iat and nbf are integers in [0, 2^53 - 1] (what JavaScript's numbers hold exactly).
inline constexpr std::int64_t kMaxNumericDate = (std::int64_t{1} << 53) - 1;

// The keys a verifier trusts, by kid: several at once while a signing key is rotated.
class KeySet {
 public:
  // Refuses an empty kid, one longer than kMaxKidBytes or not printable ASCII, and a kid already
  // present.
  Status add(std::string kid, const crypto::Ed25519PublicKey& key);
  // nullptr when no key has this kid.
  const crypto::Ed25519PublicKey* find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

 private:
  std::map<std::string, crypto::Ed25519PublicKey, std::less<>> keys_;
};

struct VerifyOptions {
  std::string issuer;    // the `iss` a token must carry, exactly
  std::string audience;  // `aud` must be this string, or an array of strings containing it
  std::int64_t now = 0;  // seconds since the epoch, from the caller's clock (verify never reads one)
  std::int64_t leeway_seconds = 30;                             // clock skew allowed on exp, nbf and iat
  std::int64_t max_lifetime_seconds = std::int64_t{24} * 3600;  // the largest exp - iat accepted
};

// The verified payload with typed accessors; the checks in verify() make them infallible.
class Claims {
 public:
  const nlohmann::json& payload() const { return payload_; }
  const std::string& kid() const { return kid_; }          // the key that verified the token
  const std::string& subject() const { return subject_; }  // `sub`; "" when absent
  const std::string& jti() const { return jti_; }          // `jti`; "" when absent
  std::int64_t exp() const { return exp_; }
  std::int64_t iat() const { return iat_; }
  // `scope` split at its spaces (RFC 8693 §4.2; RFC 6749 §3.3 scope tokens); empty when absent.
  const std::vector<std::string>& scopes() const { return scopes_; }
  bool has_scope(std::string_view scope) const;

 private:
  friend Result<Claims> verify(std::string_view token, const KeySet& keys, const VerifyOptions& options);

  nlohmann::json payload_ = nlohmann::json::object();
  std::string kid_;
  std::string subject_;
  std::string jti_;
  std::int64_t exp_ = 0;
  std::int64_t iat_ = 0;
  std::vector<std::string> scopes_;
};

// A token with the header {"alg":"EdDSA","kid":kid,"typ":"JWT"} and `claims` as its payload (compact
// UTF-8 JSON, keys sorted). `claims` must be a JSON object (verify refuses anything else); a string
// that is not UTF-8 is written with U+FFFD in its place.
std::string sign(const nlohmann::json& claims, const crypto::Ed25519KeyPair& key, std::string_view kid);

// The claims of `token` when it is an EdDSA token signed by the key of its kid in `keys` and its claims
// hold at options.now (docs/formats.md "Session tokens (JWT, EdDSA)" lists every check). Errors are one
// line and never quote the token or a key: kInvalidArgument for a malformed token or options,
// kAuthentication for a token that is well formed but not to be trusted.
Result<Claims> verify(std::string_view token, const KeySet& keys, const VerifyOptions& options);

}  // namespace lucid::jwt
