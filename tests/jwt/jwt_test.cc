// lucid::jwt: the documented token form, every refusal of verify(), leeway edges, key rotation,
// scopes, JWKs, and the token jose made in tests/vectors/jwt/eddsa.json verified at its fixed time.
#include "lucid/jwt/jwt.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/base64.h"
#include "lucid/base/hex.h"
#include "lucid/jwt/jwk.h"
#include "testing/testing.h"

namespace lucid::jwt {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr const char* kIssuer = "lucid-sessions-gateway";
constexpr const char* kAudience = "lucid-sessions-index";
constexpr const char* kHeader = R"({"alg":"EdDSA","kid":"k1","typ":"JWT"})";

crypto::Ed25519KeyPair key_from_byte(std::uint8_t byte) {
  crypto::Ed25519Seed seed;
  for (std::size_t i = 0; i < seed.size(); ++i) seed.data()[i] = static_cast<std::uint8_t>(byte + i);
  return crypto::Ed25519KeyPair::from_seed(seed);
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string b64(std::string_view text) {
  return base64url_encode(bytes_of(text));
}

std::string decoded(std::string_view part) {
  auto bytes = base64url_decode(part);
  EXPECT_TRUE(bytes.has_value()) << part;
  return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
}

std::vector<std::string> parts_of(const std::string& token) {
  std::vector<std::string> parts;
  std::stringstream in(token);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  return parts;
}

json claims_at(std::int64_t now) {
  return json{{"iss", kIssuer},
              {"aud", kAudience},
              {"sub", "node-edge-eu-1"},
              {"scope", "session:write index:read"},
              {"iat", now},
              {"exp", now + 600},
              {"jti", "5f0c2b8e-3d41-4a7e-9c16-0e2d8f4b7a93"}};
}

VerifyOptions options_at(std::int64_t now) {
  return VerifyOptions{.issuer = kIssuer,
                       .audience = kAudience,
                       .now = now,
                       .leeway_seconds = 30,
                       .max_lifetime_seconds = 86400};
}

// A token from literal header and payload texts, properly signed: for headers and payloads sign()
// would never write.
std::string forge(std::string_view header, std::string_view payload, const crypto::Ed25519KeyPair& key) {
  std::string input = fmt::format("{}.{}", b64(header), b64(payload));
  return fmt::format("{}.{}", input, base64url_encode(key.sign(bytes_of(input))));
}

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(keys_.add("k1", key_.public_key()).has_value()); }

  Result<Claims> verify_at(const std::string& token, std::int64_t now = kNow) const {
    return verify(token, keys_, options_at(now));
  }
  // The error of verifying `token`, which must fail with `kind`.
  std::string refusal(const std::string& token, ErrorKind kind, std::int64_t now = kNow) const {
    auto result = verify_at(token, now);
    EXPECT_FALSE(result.has_value()) << "accepted: " << token;
    if (result) return {};
    EXPECT_EQ(result.error().kind, kind) << result.error().message;
    EXPECT_EQ(result.error().message.find('\n'), std::string::npos);
    for (const auto& part : parts_of(token)) {
      if (part.size() >= 8) {
        EXPECT_EQ(result.error().message.find(part), std::string::npos) << "token part in error";
      }
    }
    EXPECT_EQ(result.error().message.find(
                  b64(std::string_view(reinterpret_cast<const char*>(key_.public_key().data()), 32))),
              std::string::npos);
    return result.error().message;
  }
  std::string signed_claims(const json& claims) const { return sign(claims, key_, "k1"); }
  std::string with_payload(std::string_view payload) const { return forge(kHeader, payload, key_); }

  crypto::Ed25519KeyPair key_ = key_from_byte(1);
  KeySet keys_;
};

bool contains(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

TEST_F(JwtTest, SignsTheDocumentedFormAndVerifiesIt) {
  json claims = claims_at(kNow);
  std::string token = signed_claims(claims);
  auto parts = parts_of(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(decoded(parts[0]), kHeader);
  EXPECT_EQ(decoded(parts[1]), claims.dump());
  EXPECT_EQ(parts[2].size(), 86u);  // 64 bytes, no padding
  EXPECT_EQ(token.find_first_of("=+/ "), std::string::npos);
  // The signature is Ed25519 over the ASCII of header "." payload.
  auto signature = base64url_decode(parts[2]).value();
  crypto::Ed25519Signature sig{};
  std::copy(signature.begin(), signature.end(), sig.begin());
  EXPECT_TRUE(crypto::ed25519_verify(key_.public_key(), bytes_of(parts[0] + "." + parts[1]), sig));

  auto verified = verify_at(token);
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->payload(), claims);
  EXPECT_EQ(verified->kid(), "k1");
  EXPECT_EQ(verified->subject(), "node-edge-eu-1");
  EXPECT_EQ(verified->jti(), "5f0c2b8e-3d41-4a7e-9c16-0e2d8f4b7a93");
  EXPECT_EQ(verified->iat(), kNow);
  EXPECT_EQ(verified->exp(), kNow + 600);
}

TEST_F(JwtTest, VerifiesTheTokenJoseMadeAndSignsItByteForByte) {
  std::ifstream in(lucid::testing::project_vectors_dir() / "jwt" / "eddsa.json");
  ASSERT_TRUE(in) << "tests/vectors/jwt/eddsa.json is missing";
  json vectors = json::parse(in);
  crypto::Ed25519Seed seed;
  ASSERT_TRUE(from_hex_into(vectors["seed_hex"].get<std::string>(), seed.span()).has_value());
  auto key = crypto::Ed25519KeyPair::from_seed(seed);
  const auto kid = vectors["jwk"]["kid"].get<std::string>();

  auto from_vector = from_jwk(vectors["jwk"]);
  ASSERT_TRUE(from_vector.has_value()) << from_vector.error().message;
  EXPECT_EQ(*from_vector, key.public_key());
  EXPECT_EQ(to_jwk(key.public_key(), kid), vectors["jwk"]);

  KeySet keys;
  ASSERT_TRUE(keys.add(kid, *from_vector).has_value());
  const json& v = vectors["verify"];
  VerifyOptions options{.issuer = v["issuer"].get<std::string>(),
                        .audience = v["audience"].get<std::string>(),
                        .now = v["now"].get<std::int64_t>(),
                        .leeway_seconds = v["leeway_seconds"].get<std::int64_t>(),
                        .max_lifetime_seconds = v["max_lifetime_seconds"].get<std::int64_t>()};
  const auto token = vectors["token"].get<std::string>();
  auto claims = verify(token, keys, options);
  ASSERT_TRUE(claims.has_value()) << claims.error().message;
  EXPECT_EQ(claims->payload(), vectors["claims"]);
  EXPECT_EQ(claims->subject(), vectors["claims"]["sub"]);
  EXPECT_EQ(claims->scopes(), (std::vector<std::string>{"session:write", "index:read"}));
  EXPECT_EQ(claims->exp(), vectors["claims"]["exp"].get<std::int64_t>());
  // Ed25519 is deterministic and both sides write sorted compact JSON: the same token.
  EXPECT_EQ(sign(vectors["claims"], key, kid), token);
  // Past its expiry (plus leeway) the same token is refused.
  options.now = vectors["claims"]["exp"].get<std::int64_t>() + 30;
  EXPECT_FALSE(verify(token, keys, options).has_value());
}

TEST_F(JwtTest, RefusesTokensLongerThan8KiB) {
  json claims = claims_at(kNow);
  // Grow a padding claim until the token is as long as accepted, then one character longer.
  std::string accepted_token;
  for (std::size_t pad = 5000; pad < 8192; ++pad) {
    claims["pad"] = std::string(pad, 'a');
    std::string token = signed_claims(claims);
    if (token.size() > kMaxTokenBytes) break;
    accepted_token = token;
  }
  ASSERT_GE(accepted_token.size(), kMaxTokenBytes - 2);
  EXPECT_TRUE(verify_at(accepted_token).has_value());
  claims["pad"] = std::string(8000, 'a');
  std::string too_long = signed_claims(claims);
  ASSERT_GT(too_long.size(), kMaxTokenBytes);
  EXPECT_TRUE(contains(refusal(too_long, ErrorKind::kInvalidArgument), "more than the 8192"));
  EXPECT_TRUE(
      contains(refusal(std::string(1 << 20, 'a'), ErrorKind::kInvalidArgument), "more than the 8192"));
}

TEST_F(JwtTest, RefusesAnythingButThreeParts) {
  std::string token = signed_claims(claims_at(kNow));
  auto parts = parts_of(token);
  for (const std::string& bad :
       {std::string(), std::string("abc"), parts[0] + "." + parts[1], token + ".", token + "." + parts[2],
        std::string("...."), std::string("..."), "." + token}) {
    EXPECT_TRUE(contains(refusal(bad, ErrorKind::kInvalidArgument), "a JWS compact token has 3")) << bad;
  }
}

// The same part made non-canonical: padded, in the standard alphabet, with whitespace, or with
// non-zero unused bits in its last character.
std::vector<std::string> non_canonical(const std::string& part) {
  std::vector<std::string> out = {part + "=", part + "==", " " + part, part + "\n",
                                  part.substr(0, 4) + " " + part.substr(4)};
  std::string standard = part;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (standard != part) out.push_back(standard);
  out.push_back(part.substr(0, 2) + "+" + part.substr(3));
  out.push_back(part.substr(0, 2) + "/" + part.substr(3));
  if (part.size() % 4 == 2 || part.size() % 4 == 3) {
    static constexpr std::string_view kUrl =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string trailing = part;
    trailing.back() = kUrl[kUrl.find(part.back()) | 1];
    out.push_back(trailing);
  }
  return out;
}

TEST_F(JwtTest, RefusesNonCanonicalBase64UrlInEveryPart) {
  json claims = claims_at(kNow);
  std::string token = signed_claims(claims);
  auto parts = parts_of(token);
  ASSERT_EQ(parts[0].size() % 4, 3u);  // 38 bytes of header
  ASSERT_EQ(parts[2].size() % 4, 2u);  // 64 bytes of signature
  for (int which = 0; which < 3; ++which) {
    auto variants = non_canonical(parts[static_cast<std::size_t>(which)]);
    ASSERT_GE(variants.size(), 7u);
    for (const auto& variant : variants) {
      auto p = parts;
      p[static_cast<std::size_t>(which)] = variant;
      if (which == 1) {  // re-signed, or the signature would refuse it first
        std::string input = fmt::format("{}.{}", p[0], p[1]);
        p[2] = base64url_encode(key_.sign(bytes_of(input)));
      }
      std::string message = refusal(fmt::format("{}.{}.{}", p[0], p[1], p[2]), ErrorKind::kInvalidArgument);
      EXPECT_TRUE(contains(message, "is not base64url without padding")) << which << " " << message;
    }
  }
  // The payload's unused bits, checked after the signature: a payload of 2 mod 3 bytes, re-signed.
  claims["pad"] = "";
  while (b64(claims.dump()).size() % 4 != 3) claims["pad"] = claims["pad"].get<std::string>() + "a";
  std::string payload = b64(claims.dump());
  static constexpr std::string_view kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  payload.back() = kUrl[kUrl.find(payload.back()) | 1];
  std::string input = fmt::format("{}.{}", b64(kHeader), payload);
  std::string resigned = fmt::format("{}.{}", input, base64url_encode(key_.sign(bytes_of(input))));
  EXPECT_TRUE(contains(refusal(resigned, ErrorKind::kInvalidArgument), "payload is not base64url"));
}

TEST_F(JwtTest, RefusesAHeaderThatIsNotAJsonObject) {
  std::string payload = claims_at(kNow).dump();
  for (const char* header : {"[]", "\"EdDSA\"", "42", "null"}) {
    EXPECT_TRUE(contains(refusal(forge(header, payload, key_), ErrorKind::kInvalidArgument),
                         "header is not a JSON object"))
        << header;
  }
  for (const char* header : {"", "{", "not json", R"({"alg":"EdDSA","kid":"k1","typ":"JWT"} x)",
                             "{\"alg\":\"EdDSA\",\"kid\":\"k\xff\",\"typ\":\"JWT\"}"}) {
    EXPECT_TRUE(
        contains(refusal(forge(header, payload, key_), ErrorKind::kInvalidArgument), "header is not JSON"))
        << header;
  }
  // A member twice: which one counts differs between parsers, so neither does.
  EXPECT_TRUE(contains(refusal(forge(R"({"alg":"none","alg":"EdDSA","kid":"k1","typ":"JWT"})", payload, key_),
                               ErrorKind::kInvalidArgument),
                       "member twice"));
}

TEST_F(JwtTest, AcceptsOnlyAlgEdDsa) {
  std::string payload = b64(claims_at(kNow).dump());
  for (const char* alg :
       {"none", "None", "HS256", "ES256", "RS256", "PS256", "eddsa", "EDDSA", "Ed25519", "Ed448", ""}) {
    std::string header = fmt::format(R"({{"alg":"{}","kid":"k1","typ":"JWT"}})", alg);
    // Signed with the right key, and (as "none" would have it) with no signature at all.
    EXPECT_TRUE(contains(refusal(forge(header, decoded(payload), key_), ErrorKind::kAuthentication),
                         "only EdDSA (Ed25519) tokens are"))
        << alg;
    EXPECT_TRUE(contains(refusal(fmt::format("{}.{}.", b64(header), payload), ErrorKind::kAuthentication),
                         "is not accepted"))
        << alg;
  }
  // An HS256 token keyed with the public key (the algorithm-confusion forgery) is refused for its alg.
  std::string message = refusal(fmt::format("{}.{}.{}", b64(R"({"alg":"HS256","kid":"k1","typ":"JWT"})"),
                                            payload, std::string(43, 'A')),
                                ErrorKind::kAuthentication);
  EXPECT_TRUE(contains(message, "header alg \"HS256\" is not accepted")) << message;
  for (const char* header :
       {R"({"kid":"k1","typ":"JWT"})", R"({"alg":null,"kid":"k1"})", R"({"alg":["EdDSA"],"kid":"k1"})"}) {
    EXPECT_TRUE(contains(refusal(forge(header, decoded(payload), key_), ErrorKind::kInvalidArgument),
                         "no alg string"))
        << header;
  }
}

TEST_F(JwtTest, RefusesCritAndForeignTyp) {
  std::string payload = claims_at(kNow).dump();
  for (const char* header : {R"({"alg":"EdDSA","crit":["exp"],"exp":1,"kid":"k1","typ":"JWT"})",
                             R"({"alg":"EdDSA","b64":false,"crit":["b64"],"kid":"k1"})",
                             R"({"alg":"EdDSA","crit":[],"kid":"k1"})"}) {
    EXPECT_TRUE(
        contains(refusal(forge(header, payload, key_), ErrorKind::kAuthentication), "header has crit"))
        << header;
  }
  for (const char* header :
       {R"({"alg":"EdDSA","kid":"k1","typ":"at+jwt"})", R"({"alg":"EdDSA","kid":"k1","typ":"jwt"})",
        R"({"alg":"EdDSA","kid":"k1","typ":1})"}) {
    EXPECT_TRUE(contains(refusal(forge(header, payload, key_), ErrorKind::kAuthentication), "typ")) << header;
  }
  // typ may be left out (RFC 7519 makes it optional); unknown header members are ignored.
  EXPECT_TRUE(verify_at(forge(R"({"alg":"EdDSA","kid":"k1"})", payload, key_)).has_value());
  EXPECT_TRUE(
      verify_at(forge(R"({"alg":"EdDSA","kid":"k1","x5u":"http://example/","typ":"JWT"})", payload, key_))
          .has_value());
}

TEST_F(JwtTest, RefusesAnUnknownOrMissingKid) {
  std::string payload = claims_at(kNow).dump();
  std::string message = refusal(sign(claims_at(kNow), key_, "k2"), ErrorKind::kAuthentication);
  EXPECT_TRUE(contains(message, "kid \"k2\" is not among the 1 trusted keys")) << message;
  // A kid that is long or not printable is not repeated.
  std::string long_kid(100, 'q');
  message = refusal(sign(claims_at(kNow), key_, long_kid), ErrorKind::kAuthentication);
  EXPECT_FALSE(contains(message, long_kid.substr(0, 40))) << message;
  EXPECT_TRUE(contains(message, "(100 bytes, not shown)")) << message;
  message = refusal(sign(claims_at(kNow), key_, "k1\nforged log line"), ErrorKind::kAuthentication);
  EXPECT_FALSE(contains(message, "forged")) << message;
  for (const char* header : {R"({"alg":"EdDSA","typ":"JWT"})", R"({"alg":"EdDSA","kid":1,"typ":"JWT"})",
                             R"({"alg":"EdDSA","kid":null,"typ":"JWT"})"}) {
    EXPECT_TRUE(contains(refusal(forge(header, payload, key_), ErrorKind::kAuthentication), "no kid string"))
        << header;
  }
  KeySet none;
  auto empty = verify(signed_claims(claims_at(kNow)), none, options_at(kNow));
  ASSERT_FALSE(empty.has_value());
  EXPECT_TRUE(contains(empty.error().message, "not among the 0 trusted keys"));
}

TEST_F(JwtTest, RefusesABadSignature) {
  std::string token = signed_claims(claims_at(kNow));
  auto parts = parts_of(token);
  auto signature = base64url_decode(parts[2]).value();
  // Every single flipped bit of the signature.
  for (std::size_t bit = 0; bit < signature.size() * 8; ++bit) {
    auto flipped = signature;
    flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    std::string message = refusal(fmt::format("{}.{}.{}", parts[0], parts[1], base64url_encode(flipped)),
                                  ErrorKind::kAuthentication);
    ASSERT_TRUE(contains(message, "signature does not verify with the key of kid \"k1\"")) << bit << message;
  }
  // An altered payload under the old signature.
  json altered = claims_at(kNow);
  altered["sub"] = "node-edge-eu-2";
  EXPECT_TRUE(contains(
      refusal(fmt::format("{}.{}.{}", parts[0], b64(altered.dump()), parts[2]), ErrorKind::kAuthentication),
      "signature does not verify"));
  // An altered header (same kid, another member) under the old signature.
  EXPECT_TRUE(
      contains(refusal(fmt::format("{}.{}.{}", b64(R"({"alg":"EdDSA","kid":"k1"})"), parts[1], parts[2]),
                       ErrorKind::kAuthentication),
               "signature does not verify"));
  // Signed by another key under this kid.
  EXPECT_TRUE(contains(refusal(sign(claims_at(kNow), key_from_byte(2), "k1"), ErrorKind::kAuthentication),
                       "signature does not verify"));
  // A signature of the wrong length.
  signature.pop_back();
  EXPECT_TRUE(contains(refusal(fmt::format("{}.{}.{}", parts[0], parts[1], base64url_encode(signature)),
                               ErrorKind::kInvalidArgument),
                       "signature is 63 bytes"));
  EXPECT_TRUE(contains(refusal(fmt::format("{}.{}.", parts[0], parts[1]), ErrorKind::kInvalidArgument),
                       "signature is 0 bytes"));
}

TEST_F(JwtTest, RefusesAPayloadThatIsNotAJsonObject) {
  for (const char* payload : {"[]", "[{\"exp\":1}]", "\"claims\"", "42", "null"}) {
    EXPECT_TRUE(
        contains(refusal(with_payload(payload), ErrorKind::kInvalidArgument), "payload is not a JSON object"))
        << payload;
  }
  for (const char* payload : {"", "{", "{\"sub\":\"a\xc3\"}", "{\"sub\":\"\xed\xa0\x80\"}"}) {
    EXPECT_TRUE(contains(refusal(with_payload(payload), ErrorKind::kInvalidArgument), "payload is not JSON"))
        << payload;
  }
  std::string twice = claims_at(kNow).dump();
  twice.insert(1, "\"sub\":\"someone-else\",");
  EXPECT_TRUE(contains(refusal(with_payload(twice), ErrorKind::kInvalidArgument), "member twice"));
  json nested = claims_at(kNow);
  json deep = 1;
  for (int i = 0; i < kMaxJsonDepth; ++i) deep = json::array({deep});
  nested["deep"] = deep;
  EXPECT_TRUE(contains(refusal(with_payload(nested.dump()), ErrorKind::kInvalidArgument), "nests deeper"));
  json shallow = claims_at(kNow);
  json ok = 1;
  for (int i = 0; i < kMaxJsonDepth - 1; ++i) ok = json::array({ok});
  shallow["deep"] = ok;
  EXPECT_TRUE(verify_at(with_payload(shallow.dump())).has_value());
}

TEST_F(JwtTest, RequiresAnIntegerExpAndIat) {
  json claims = claims_at(kNow);
  claims.erase("exp");
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication), "claim exp is missing"));
  claims = claims_at(kNow);
  claims.erase("iat");
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication), "claim iat is missing"));
  for (const char* claim : {"exp", "iat", "nbf"}) {
    for (const json& bad :
         {json(1767225600.5), json("1767225600"), json(-1), json(nullptr), json(kMaxNumericDate + 1)}) {
      claims = claims_at(kNow);
      claims[claim] = bad;
      EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kInvalidArgument),
                           fmt::format("claim {} is not an integer", claim)))
          << claim << " " << bad.dump();
    }
  }
  // 1.7e9 written with an exponent is a float to JSON: refused like any non-integer.
  std::string payload = claims_at(kNow).dump();
  payload.replace(payload.find(std::to_string(kNow + 600)), 10, "1.7676262e9");
  EXPECT_TRUE(
      contains(refusal(with_payload(payload), ErrorKind::kInvalidArgument), "claim exp is not an integer"));
}

TEST_F(JwtTest, ExpiryNotBeforeAndIssuedAtAtTheLeewayEdges) {
  const std::int64_t exp = kNow + 600;
  std::string token = signed_claims(claims_at(kNow));
  // Valid while now < exp + leeway.
  EXPECT_TRUE(verify_at(token, exp + 29).has_value());
  std::string message = refusal(token, ErrorKind::kAuthentication, exp + 30);
  EXPECT_TRUE(contains(message, fmt::format("token expired at {} (now {}, leeway 30 s)", exp, exp + 30)))
      << message;
  refusal(token, ErrorKind::kAuthentication, exp + 100000);
  // Without leeway the edge is exp itself.
  VerifyOptions strict = options_at(exp - 1);
  strict.leeway_seconds = 0;
  EXPECT_TRUE(verify(token, keys_, strict).has_value());
  strict.now = exp;
  EXPECT_FALSE(verify(token, keys_, strict).has_value());

  // nbf up to leeway ahead of now is accepted.
  json claims = claims_at(kNow);
  claims["nbf"] = kNow + 30;
  EXPECT_TRUE(verify_at(signed_claims(claims)).has_value());
  claims["nbf"] = kNow + 31;
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication), "not valid before"));
  EXPECT_TRUE(verify_at(signed_claims(claims), kNow + 1).has_value());

  // iat up to leeway ahead of now is accepted (the issuer's clock may be a little fast).
  claims = claims_at(kNow + 30);
  EXPECT_TRUE(verify_at(signed_claims(claims)).has_value());
  claims = claims_at(kNow + 31);
  message = refusal(signed_claims(claims), ErrorKind::kAuthentication);
  EXPECT_TRUE(contains(message, "in the future")) << message;
}

TEST_F(JwtTest, BoundsTheLifetime) {
  json claims = claims_at(kNow);
  claims["exp"] = kNow + 86400;
  EXPECT_TRUE(verify_at(signed_claims(claims)).has_value());
  claims["exp"] = kNow + 86401;
  std::string message = refusal(signed_claims(claims), ErrorKind::kAuthentication);
  EXPECT_TRUE(contains(message, "lifetime exp - iat = 86401 s exceeds the 86400 s allowed")) << message;
  // An old iat with a far exp is refused even though now is within both.
  claims["iat"] = kNow - 86400;
  claims["exp"] = kNow + 10;
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication), "exceeds"));
  // exp before iat.
  claims["iat"] = kNow;
  claims["exp"] = kNow - 1;
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication, kNow - 30),
                       "before it was issued"));
  VerifyOptions tight = options_at(kNow);
  tight.max_lifetime_seconds = 599;
  EXPECT_FALSE(verify(signed_claims(claims_at(kNow)), keys_, tight).has_value());
  tight.max_lifetime_seconds = 600;
  EXPECT_TRUE(verify(signed_claims(claims_at(kNow)), keys_, tight).has_value());
}

TEST_F(JwtTest, ChecksIssuerAndAudience) {
  json claims = claims_at(kNow);
  claims["iss"] = "someone-else";
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication),
                       "issued by \"someone-else\", not by \"lucid-sessions-gateway\""));
  claims.erase("iss");
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication), "claim iss is missing"));
  claims["iss"] = json::array({kIssuer});
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication), "not a string"));

  claims = claims_at(kNow);
  claims["aud"] = "lucid-sessions-manifests";
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication),
                       "not for audience \"lucid-sessions-index\""));
  claims["aud"] = json::array({"lucid-sessions-manifests", kAudience});
  EXPECT_TRUE(verify_at(signed_claims(claims)).has_value());
  claims["aud"] = json::array({kAudience});
  EXPECT_TRUE(verify_at(signed_claims(claims)).has_value());
  claims["aud"] = json::array({"lucid-sessions-manifests", "lucid-sessions-gateway"});
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication), "not for audience"));
  claims.erase("aud");
  EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kAuthentication), "claim aud is missing"));
  for (const json& bad :
       {json::array(), json::array({kAudience, 1}), json(1), json(nullptr), json::object()}) {
    claims["aud"] = bad;
    EXPECT_TRUE(contains(refusal(signed_claims(claims), ErrorKind::kInvalidArgument), "neither a string nor"))
        << bad.dump();
  }
  // Prefixes and case are not the audience.
  claims["aud"] = "lucid-sessions-index2";
  refusal(signed_claims(claims), ErrorKind::kAuthentication);
  claims["aud"] = "Lucid-Sessions-Index";
  refusal(signed_claims(claims), ErrorKind::kAuthentication);
}

TEST_F(JwtTest, KeyRotationWithTwoKids) {
  auto old_key = key_from_byte(10);
  auto new_key = key_from_byte(20);
  KeySet keys;
  ASSERT_TRUE(keys.add("gateway-2025-12", old_key.public_key()).has_value());
  ASSERT_TRUE(keys.add("gateway-2026-01", new_key.public_key()).has_value());
  EXPECT_EQ(keys.size(), 2u);
  auto by_old = verify(sign(claims_at(kNow), old_key, "gateway-2025-12"), keys, options_at(kNow));
  ASSERT_TRUE(by_old.has_value()) << by_old.error().message;
  EXPECT_EQ(by_old->kid(), "gateway-2025-12");
  auto by_new = verify(sign(claims_at(kNow), new_key, "gateway-2026-01"), keys, options_at(kNow));
  ASSERT_TRUE(by_new.has_value()) << by_new.error().message;
  EXPECT_EQ(by_new->kid(), "gateway-2026-01");
  // The kid chooses the key: a token under one kid signed by the other key is refused.
  auto crossed = verify(sign(claims_at(kNow), new_key, "gateway-2025-12"), keys, options_at(kNow));
  ASSERT_FALSE(crossed.has_value());
  EXPECT_EQ(crossed.error().kind, ErrorKind::kAuthentication);
  // Once the old key is retired its tokens are refused.
  KeySet retired;
  ASSERT_TRUE(retired.add("gateway-2026-01", new_key.public_key()).has_value());
  EXPECT_FALSE(
      verify(sign(claims_at(kNow), old_key, "gateway-2025-12"), retired, options_at(kNow)).has_value());
  // KeySet's own rules.
  auto twice = keys.add("gateway-2026-01", old_key.public_key());
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_EQ(*keys.find("gateway-2026-01"), new_key.public_key());
  for (const std::string& bad :
       {std::string(), std::string("with space"), std::string("tab\t"), std::string(129, 'k')}) {
    EXPECT_FALSE(keys.add(bad, old_key.public_key()).has_value()) << bad;
  }
  EXPECT_TRUE(keys.add(std::string(128, 'k'), old_key.public_key()).has_value());
  EXPECT_EQ(keys.find("absent"), nullptr);
}

TEST_F(JwtTest, Scopes) {
  auto claims = verify_at(signed_claims(claims_at(kNow)));
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->scopes(), (std::vector<std::string>{"session:write", "index:read"}));
  EXPECT_TRUE(claims->has_scope("session:write"));
  EXPECT_TRUE(claims->has_scope("index:read"));
  EXPECT_FALSE(claims->has_scope("session"));
  EXPECT_FALSE(claims->has_scope("index:read:all"));
  EXPECT_FALSE(claims->has_scope("session:write index:read"));
  EXPECT_FALSE(claims->has_scope(""));

  json one = claims_at(kNow);
  one["scope"] = "index:read";
  claims = verify_at(signed_claims(one));
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->scopes(), std::vector<std::string>{"index:read"});
  EXPECT_FALSE(claims->has_scope("session:write"));

  json none = claims_at(kNow);
  none.erase("scope");
  none.erase("sub");
  none.erase("jti");
  claims = verify_at(signed_claims(none));
  ASSERT_TRUE(claims.has_value());
  EXPECT_TRUE(claims->scopes().empty());
  EXPECT_FALSE(claims->has_scope("index:read"));
  EXPECT_EQ(claims->subject(), "");
  EXPECT_EQ(claims->jti(), "");
  none["scope"] = "";
  claims = verify_at(signed_claims(none));
  ASSERT_TRUE(claims.has_value());
  EXPECT_TRUE(claims->scopes().empty());

  for (const char* bad : {"a  b", " a", "a ", "a\tb", "a\"b", "a\\b", "a\nb", "caf\xc3\xa9"}) {
    json claims_json = claims_at(kNow);
    claims_json["scope"] = bad;
    EXPECT_TRUE(
        contains(refusal(signed_claims(claims_json), ErrorKind::kInvalidArgument), "claim scope is not"))
        << bad;
  }
  for (const char* claim : {"scope", "sub", "jti"}) {
    json claims_json = claims_at(kNow);
    claims_json[claim] = json::array({"index:read"});
    EXPECT_TRUE(contains(refusal(signed_claims(claims_json), ErrorKind::kInvalidArgument),
                         fmt::format("claim {} is not a string", claim)));
  }
}

TEST_F(JwtTest, RefusesIncompleteOptions) {
  std::string token = signed_claims(claims_at(kNow));
  std::vector<VerifyOptions> bad(6, options_at(kNow));
  bad[0].issuer = "";
  bad[1].audience = "";
  bad[2].now = 0;  // the caller forgot the clock
  bad[3].leeway_seconds = -1;
  bad[4].max_lifetime_seconds = 0;
  bad[5].now = -kNow;
  for (const auto& options : bad) {
    auto result = verify(token, keys_, options);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_TRUE(contains(result.error().message, "VerifyOptions.")) << result.error().message;
  }
}

TEST(Jwk, WritesAndReadsTheRfc8037Form) {
  auto key = key_from_byte(3);
  json jwk = to_jwk(key.public_key(), "gateway-2026-01");
  EXPECT_EQ(jwk, (json{{"kty", "OKP"},
                       {"crv", "Ed25519"},
                       {"x", base64url_encode(key.public_key())},
                       {"kid", "gateway-2026-01"}}));
  EXPECT_EQ(jwk["x"].get<std::string>().size(), 43u);
  auto back = from_jwk(jwk);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, key.public_key());
  // RFC 8037 appendix A.2: the public key of A.1's private key.
  auto rfc = from_jwk(
      json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
  ASSERT_TRUE(rfc.has_value());
  EXPECT_EQ(to_hex(*rfc), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  // Optional members that fit a verification key.
  for (const json& extra : {json{{"alg", "EdDSA"}}, json{{"use", "sig"}},
                            json{{"key_ops", json::array({"verify"})}}, json{{"ext", true}}}) {
    json with = jwk;
    with.update(extra);
    EXPECT_TRUE(from_jwk(with).has_value()) << with.dump();
  }
}

TEST(Jwk, ThumbprintIsRfc7638s) {
  // RFC 8037 appendix A.3: the thumbprint of A.2's public key.
  auto rfc = from_jwk(
      json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
  ASSERT_TRUE(rfc.has_value());
  EXPECT_EQ(jwk_thumbprint(*rfc), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  EXPECT_NE(jwk_thumbprint(key_from_byte(3).public_key()), jwk_thumbprint(*rfc));
}

TEST(Jwk, ReadingIsStrict) {
  auto key = key_from_byte(3);
  const json good = to_jwk(key.public_key(), "k");
  const std::string x = good["x"];
  auto refused_with = [](const json& jwk, std::string_view what) {
    auto result = from_jwk(jwk);
    ASSERT_FALSE(result.has_value()) << jwk.dump();
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_TRUE(contains(result.error().message, what)) << result.error().message;
  };
  refused_with(json::array({good}), "not a JSON object");
  refused_with("x", "not a JSON object");
  for (const json& kty : {json("EC"), json("RSA"), json("oct"), json("okp"), json(1)}) {
    json jwk = good;
    jwk["kty"] = kty;
    refused_with(jwk, "kty must be \"OKP\"");
  }
  json no_kty = good;
  no_kty.erase("kty");
  refused_with(no_kty, "kty");
  for (const json& crv : {json("X25519"), json("Ed448"), json("P-256"), json("ed25519")}) {
    json jwk = good;
    jwk["crv"] = crv;
    refused_with(jwk, "crv must be \"Ed25519\"");
  }
  json no_x = good;
  no_x.erase("x");
  refused_with(no_x, "x (the public key) is missing");
  std::string padded = x + "=";
  std::string standard = x;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  for (const std::string& bad : {padded, x.substr(0, 42), x + "AAAA", std::string(" ") + x,
                                 standard == x ? std::string("+") + x.substr(1) : standard}) {
    json jwk = good;
    jwk["x"] = bad;
    refused_with(jwk, "x is");
  }
  json short_x = good;
  short_x["x"] = base64url_encode(std::vector<std::uint8_t>(31, 7));
  refused_with(short_x, "x is 31 bytes");
  // A private key where a public one belongs: refused, and d is never repeated.
  json with_d = good;
  std::string d = base64url_encode(key.seed().span());
  with_d["d"] = d;
  auto result = from_jwk(with_d);
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(contains(result.error().message, "private key")) << result.error().message;
  EXPECT_FALSE(contains(result.error().message, d));
  EXPECT_FALSE(contains(result.error().message, x));
  with_d["d"] = nullptr;
  refused_with(with_d, "private key");
  for (const json& extra :
       {json{{"alg", "ES256"}}, json{{"alg", "Ed25519"}}, json{{"use", "enc"}},
        json{{"key_ops", json::array({"sign"})}}, json{{"key_ops", "verify"}}, json{{"kid", 7}}}) {
    json jwk = good;
    jwk.update(extra);
    EXPECT_FALSE(from_jwk(jwk).has_value()) << jwk.dump();
  }
}

TEST(Jwk, KeySetFromAJwkSet) {
  auto a = key_from_byte(4);
  auto b = key_from_byte(5);
  json jwks = {{"keys", {to_jwk(a.public_key(), "a"), to_jwk(b.public_key(), "b")}}};
  auto keys = key_set_from_jwks(jwks);
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_EQ(*keys->find("a"), a.public_key());
  EXPECT_EQ(*keys->find("b"), b.public_key());
  EXPECT_TRUE(verify(sign(claims_at(kNow), b, "b"), *keys, options_at(kNow)).has_value());

  json twice = {{"keys", {to_jwk(a.public_key(), "a"), to_jwk(b.public_key(), "a")}}};
  EXPECT_FALSE(key_set_from_jwks(twice).has_value());
  json no_kid = {{"keys", {to_jwk(a.public_key(), "a")}}};
  no_kid["keys"][0].erase("kid");
  EXPECT_FALSE(key_set_from_jwks(no_kid).has_value());
  json with_private = {{"keys", {to_jwk(a.public_key(), "a")}}};
  with_private["keys"][0]["d"] = base64url_encode(a.seed().span());
  auto refused = key_set_from_jwks(with_private);
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(contains(refused.error().message, "keys[0]"));
  EXPECT_FALSE(key_set_from_jwks(json::array()).has_value());
  EXPECT_FALSE(key_set_from_jwks(json{{"keys", "a"}}).has_value());
  auto empty = key_set_from_jwks(json{{"keys", json::array()}});
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace lucid::jwt
