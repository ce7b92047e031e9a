#include "lucid/jwt/jwt.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/base/json_fields.h"

namespace lucid::jwt {
namespace {

using nlohmann::json;

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

// A value taken from a token, quoted in an error only when it is short printable ASCII: an error
// message never carries what an attacker could shape into something else.
std::string shown(std::string_view value) {
  if (value.size() <= 64 && printable_ascii(value)) return fmt::format("\"{}\"", value);
  return fmt::format("({} bytes, not shown)", value.size());
}

Error malformed(std::string message) {
  return Error{ErrorKind::kInvalidArgument, std::move(message)};
}
Error refused(std::string message) {
  return Error{ErrorKind::kAuthentication, std::move(message)};
}

// One JSON object from a decoded token part (base/json_fields.h's strict reading).
Result<json> parse_object(const std::vector<std::uint8_t>& bytes, std::string_view part) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return parse_json_object(text, part, kMaxJsonDepth);
}

Result<std::vector<std::uint8_t>> decode_part(std::string_view text, std::string_view part) {
  auto bytes = base64url_decode(text);
  if (!bytes) {
    return std::unexpected(
        malformed(fmt::format("{} is not base64url without padding ({})", part, bytes.error().message)));
  }
  return bytes;
}

Status check_options(const VerifyOptions& options) {
  if (options.issuer.empty())
    return std::unexpected(malformed("VerifyOptions.issuer is empty: name the issuer"));
  if (options.audience.empty()) {
    return std::unexpected(malformed("VerifyOptions.audience is empty: name this service's audience"));
  }
  if (options.now <= 0 || options.now > kMaxNumericDate) {
    return std::unexpected(
        malformed("VerifyOptions.now is not seconds since the epoch: pass the current time"));
  }
  if (options.leeway_seconds < 0 || options.leeway_seconds > 3600) {
    return std::unexpected(malformed("VerifyOptions.leeway_seconds must be in [0, 3600]"));
  }
  if (options.max_lifetime_seconds <= 0 || options.max_lifetime_seconds > kMaxNumericDate) {
    return std::unexpected(malformed("VerifyOptions.max_lifetime_seconds must be positive"));
  }
  return {};
}

// A NumericDate claim: an integer in [0, kMaxNumericDate]; nullopt when absent.
Result<std::optional<std::int64_t>> numeric_date(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::optional<std::int64_t>{};
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxNumericDate)) {
    return std::unexpected(malformed(
        fmt::format("claim {} is not an integer number of seconds since the epoch in [0, 2^53)", name)));
  }
  return std::optional<std::int64_t>{static_cast<std::int64_t>(it->get<std::uint64_t>())};
}

// An optional string claim; "" when absent.
Result<std::string> string_claim(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::string();
  if (!it->is_string()) return std::unexpected(malformed(fmt::format("claim {} is not a string", name)));
  return it->get<std::string>();
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
Result<std::vector<std::string>> split_scope(std::string_view scope) {
  std::vector<std::string> out;
  if (scope.empty()) return out;
  std::size_t start = 0;
  while (true) {
    std::size_t end = scope.find(' ', start);
    std::string_view token = scope.substr(start, end == std::string_view::npos ? end : end - start);
    bool valid = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
      return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
    });
    if (!valid) {
      return std::unexpected(
          malformed("claim scope is not scope tokens separated by single spaces (RFC 6749 section 3.3)"));
    }
    out.emplace_back(token);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

Status check_header(const json& header) {
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) {
    return std::unexpected(malformed("header has no alg string: only EdDSA (Ed25519) tokens are accepted"));
  }
  if (alg->get_ref<const std::string&>() != "EdDSA") {
    return std::unexpected(
        refused(fmt::format("header alg {} is not accepted: only EdDSA (Ed25519) tokens are",
                            shown(alg->get_ref<const std::string&>()))));
  }
  if (header.contains("crit")) {
    return std::unexpected(
        refused("header has crit: no JWS extension is understood, so the token is refused"));
  }
  if (auto typ = header.find("typ"); typ != header.end() && (!typ->is_string() || *typ != "JWT")) {
    return std::unexpected(refused("header typ is not \"JWT\": the token is of another kind"));
  }
  return {};
}

struct Lifetime {
  std::int64_t exp = 0;
  std::int64_t iat = 0;
};

Result<Lifetime> check_times(const json& payload, const VerifyOptions& options) {
  auto exp = numeric_date(payload, "exp");
  if (!exp) return std::unexpected(exp.error());
  auto iat = numeric_date(payload, "iat");
  if (!iat) return std::unexpected(iat.error());
  auto nbf = numeric_date(payload, "nbf");
  if (!nbf) return std::unexpected(nbf.error());
  if (!*exp)
    return std::unexpected(refused("claim exp is missing: a token without an expiry is not accepted"));
  if (!*iat) {
    return std::unexpected(
        refused("claim iat is missing: the token's lifetime cannot be bounded without it"));
  }
  const std::int64_t now = options.now;
  const std::int64_t leeway = options.leeway_seconds;
  if (now >= **exp + leeway) {
    return std::unexpected(refused(
        fmt::format("token expired at {} (now {}, leeway {} s): get a new token", **exp, now, leeway)));
  }
  if (*nbf && **nbf > now + leeway) {
    return std::unexpected(
        refused(fmt::format("token is not valid before {} (now {}, leeway {} s)", **nbf, now, leeway)));
  }
  if (**iat > now + leeway) {
    return std::unexpected(refused(
        fmt::format("token issued at {}, in the future (now {}, leeway {} s): check the issuer's clock",
                    **iat, now, leeway)));
  }
  if (**exp < **iat)
    return std::unexpected(
        refused(fmt::format("token expires at {} before it was issued at {}", **exp, **iat)));
  if (**exp - **iat > options.max_lifetime_seconds) {
    return std::unexpected(refused(fmt::format("token lifetime exp - iat = {} s exceeds the {} s allowed",
                                               **exp - **iat, options.max_lifetime_seconds)));
  }
  return Lifetime{.exp = **exp, .iat = **iat};
}

Status check_audience(const json& payload, const std::string& audience) {
  auto aud = payload.find("aud");
  if (aud == payload.end())
    return std::unexpected(refused("claim aud is missing: the token names no audience"));
  if (aud->is_string()) {
    if (*aud == audience) return {};
  } else if (aud->is_array() && !aud->empty() &&
             std::all_of(aud->begin(), aud->end(), [](const json& a) { return a.is_string(); })) {
    if (std::find(aud->begin(), aud->end(), json(audience)) != aud->end()) return {};
  } else {
    return std::unexpected(malformed("claim aud is neither a string nor a non-empty array of strings"));
  }
  return std::unexpected(
      refused(fmt::format("token is not for audience \"{}\": its aud does not name it", audience)));
}

}  // namespace

Status KeySet::add(std::string kid, const crypto::Ed25519PublicKey& key) {
  if (kid.empty() || kid.size() > kMaxKidBytes || !printable_ascii(kid)) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("kid must be 1 to {} printable ASCII characters without spaces", kMaxKidBytes));
  }
  if (keys_.contains(kid)) {
    return fail(ErrorKind::kAlreadyExists, fmt::format("kid \"{}\" is already in the key set", kid));
  }
  keys_.emplace(std::move(kid), key);
  return {};
}

const crypto::Ed25519PublicKey* KeySet::find(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

bool Claims::has_scope(std::string_view scope) const {
  return std::find(scopes_.begin(), scopes_.end(), scope) != scopes_.end();
}

std::string sign(const nlohmann::json& claims, const crypto::Ed25519KeyPair& key, std::string_view kid) {
  const json header = {{"alg", "EdDSA"}, {"kid", std::string(kid)}, {"typ", "JWT"}};
  constexpr auto kReplace = json::error_handler_t::replace;
  std::string signing_input =
      fmt::format("{}.{}", base64url_encode(as_bytes(header.dump(-1, ' ', false, kReplace))),
                  base64url_encode(as_bytes(claims.dump(-1, ' ', false, kReplace))));
  auto signature = key.sign(as_bytes(signing_input));
  return fmt::format("{}.{}", signing_input, base64url_encode(signature));
}

Result<Claims> verify(std::string_view token, const KeySet& keys, const VerifyOptions& options) {
  if (auto ok = check_options(options); !ok) return std::unexpected(ok.error());
  if (token.size() > kMaxTokenBytes) {
    return std::unexpected(
        malformed(fmt::format("token is {} bytes, more than the {} accepted", token.size(), kMaxTokenBytes)));
  }
  const std::size_t parts = static_cast<std::size_t>(std::count(token.begin(), token.end(), '.')) + 1;
  if (parts != 3) {
    return std::unexpected(malformed(fmt::format(
        "token has {} parts separated by '.'; a JWS compact token has 3 (header.payload.signature)", parts)));
  }
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = token.find('.', first_dot + 1);
  const std::string_view header_text = token.substr(0, first_dot);
  const std::string_view payload_text = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_text = token.substr(second_dot + 1);

  // The header decides the key; nothing of the payload is read before the signature verifies.
  auto header_bytes = decode_part(header_text, "header");
  if (!header_bytes) return std::unexpected(header_bytes.error());
  auto header = parse_object(*header_bytes, "header");
  if (!header) return std::unexpected(header.error());
  if (auto ok = check_header(*header); !ok) return std::unexpected(ok.error());
  auto kid = header->find("kid");
  if (kid == header->end() || !kid->is_string()) {
    return std::unexpected(refused("header has no kid string: the verification key cannot be chosen"));
  }
  const std::string& kid_text = kid->get_ref<const std::string&>();
  const crypto::Ed25519PublicKey* key = keys.find(kid_text);
  if (key == nullptr) {
    return std::unexpected(refused(fmt::format(
        "kid {} is not among the {} trusted keys: the token was signed by another issuer or a retired key",
        shown(kid_text), keys.size())));
  }

  auto signature_bytes = decode_part(signature_text, "signature");
  if (!signature_bytes) return std::unexpected(signature_bytes.error());
  if (signature_bytes->size() != crypto::Ed25519Signature{}.size()) {
    return std::unexpected(
        malformed(fmt::format("signature is {} bytes; an Ed25519 signature is 64", signature_bytes->size())));
  }
  crypto::Ed25519Signature signature{};
  std::copy(signature_bytes->begin(), signature_bytes->end(), signature.begin());
  if (!crypto::ed25519_verify(*key, as_bytes(token.substr(0, second_dot)), signature)) {
    return std::unexpected(refused(
        fmt::format("signature does not verify with the key of kid {}: the token was altered or forged",
                    shown(kid_text))));
  }

  auto payload_bytes = decode_part(payload_text, "payload");
  if (!payload_bytes) return std::unexpected(payload_bytes.error());
  auto payload = parse_object(*payload_bytes, "payload");
  if (!payload) return std::unexpected(payload.error());

  auto lifetime = check_times(*payload, options);
  if (!lifetime) return std::unexpected(lifetime.error());
  auto iss = payload->find("iss");
  if (iss == payload->end() || !iss->is_string()) {
    return std::unexpected(refused("claim iss is missing or not a string: the token names no issuer"));
  }
  if (*iss != options.issuer) {
    return std::unexpected(refused(fmt::format("token was issued by {}, not by \"{}\"",
                                               shown(iss->get_ref<const std::string&>()), options.issuer)));
  }
  if (auto ok = check_audience(*payload, options.audience); !ok) return std::unexpected(ok.error());
  auto subject = string_claim(*payload, "sub");
  if (!subject) return std::unexpected(subject.error());
  auto jti = string_claim(*payload, "jti");
  if (!jti) return std::unexpected(jti.error());
  auto scope = string_claim(*payload, "scope");
  if (!scope) return std::unexpected(scope.error());
  auto scopes = split_scope(*scope);
  if (!scopes) return std::unexpected(scopes.error());

  Claims claims;
  claims.payload_ = std::move(*payload);
  claims.exp_ = lifetime->exp;
  claims.iat_ = lifetime->iat;
  claims.kid_ = kid_text;
  claims.subject_ = std::move(*subject);
  claims.jti_ = std::move(*jti);
  claims.scopes_ = std::move(*scopes);
  return claims;
}

}  // namespace lucid::jwt
