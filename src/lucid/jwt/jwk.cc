#include "lucid/jwt/jwk.h"

#include <algorithm>
#include <span>
#include <string>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/crypto/sha256.h"

namespace lucid::jwt {
namespace {

using nlohmann::json;

std::unexpected<Error> bad_jwk(std::string message) {
  return fail(ErrorKind::kInvalidArgument, fmt::format("JWK: {}", message));
}

// The member `name` when present must be the string `expected`.
Status optional_string_is(const json& jwk, const char* name, const char* expected) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return {};
  if (!it->is_string() || *it != expected) {
    return bad_jwk(fmt::format("{} must be \"{}\" for an Ed25519 verification key", name, expected));
  }
  return {};
}

}  // namespace

std::string jwk_thumbprint(const crypto::Ed25519PublicKey& key) {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
  const std::string members =
      fmt::format(R"({{"crv":"Ed25519","kty":"OKP","x":"{}"}})", base64url_encode(key));
  return base64url_encode(crypto::sha256(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(members.data()), members.size())));
}

nlohmann::json to_jwk(const crypto::Ed25519PublicKey& key, std::string_view kid) {
  return json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(key)}, {"kid", std::string(kid)}};
}

Result<crypto::Ed25519PublicKey> from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return bad_jwk("not a JSON object");
  // Checked first: a private key given where a public one belongs is a leak to report, whatever else.
  if (jwk.contains("d")) {
    return bad_jwk(
        "it holds a private key (\"d\") where a public key is expected: publish the public JWK only");
  }
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string() || *kty != "OKP") {
    return bad_jwk("kty must be \"OKP\" (RFC 8037): only Ed25519 keys are accepted");
  }
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string() || *crv != "Ed25519") {
    return bad_jwk("crv must be \"Ed25519\": only Ed25519 keys are accepted");
  }
  if (auto ok = optional_string_is(jwk, "alg", "EdDSA"); !ok) return std::unexpected(ok.error());
  if (auto ok = optional_string_is(jwk, "use", "sig"); !ok) return std::unexpected(ok.error());
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array() || std::find(ops->begin(), ops->end(), json("verify")) == ops->end()) {
      return bad_jwk("key_ops must be an array that includes \"verify\"");
    }
  }
  if (auto kid = jwk.find("kid"); kid != jwk.end() && !kid->is_string())
    return bad_jwk("kid is not a string");
  auto x = jwk.find("x");
  if (x == jwk.end() || !x->is_string()) return bad_jwk("x (the public key) is missing or not a string");
  auto bytes = base64url_decode(x->get_ref<const std::string&>());
  if (!bytes) return bad_jwk(fmt::format("x is not base64url without padding ({})", bytes.error().message));
  crypto::Ed25519PublicKey key{};
  if (bytes->size() != key.size()) {
    return bad_jwk(fmt::format("x is {} bytes; an Ed25519 public key is 32", bytes->size()));
  }
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

Result<KeySet> key_set_from_jwks(const nlohmann::json& jwks) {
  auto keys = jwks.is_object() ? jwks.find("keys") : jwks.end();
  if (!jwks.is_object() || keys == jwks.end() || !keys->is_array()) {
    return fail(ErrorKind::kInvalidArgument, "JWK Set: not an object with a \"keys\" array");
  }
  KeySet set;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const json& jwk = (*keys)[i];
    auto key = from_jwk(jwk);
    if (!key) return std::unexpected(with_context(fmt::format("JWK Set keys[{}]", i), key.error()));
    auto kid = jwk.find("kid");
    if (kid == jwk.end()) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("JWK Set keys[{}]: no kid to select it by", i));
    }
    if (auto ok = set.add(kid->get<std::string>(), *key); !ok) {
      return std::unexpected(with_context(fmt::format("JWK Set keys[{}]", i), ok.error()));
    }
  }
  return set;
}

}  // namespace lucid::jwt
