// lucid::jwt against npm jose (tests/jwt/jose/jwt.mjs, run by node), both ways: C++-signed tokens verify
// in jose and jose-signed tokens in C++; a flipped signature bit or an altered payload is refused by
// both; alg "none" and jose's HS256 token keyed with the public key are refused by C++; both sides
// agree on the expiry edge; tests/vectors/jwt/eddsa.json is still what jose makes. Skips with the
// reason when node or jose/node_modules is missing (scripts/bootstrap installs both).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/base64.h"
#include "lucid/jwt/jwk.h"
#include "lucid/jwt/jwt.h"
#include "testing/testing.h"

namespace lucid::jwt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t kNow = 1767225600;
constexpr const char* kIssuer = "lucid-sessions-gateway";
constexpr const char* kAudience = "lucid-sessions-index";

json claims_at(std::int64_t now) {
  return json{{"iss", kIssuer},
              {"aud", json::array({"lucid-sessions-manifests", kAudience})},
              {"sub", "node-edge-eu-1"},
              {"scope", "session:write"},
              {"iat", now},
              {"exp", now + 900},
              {"jti", "8a1f6c3e-0b7d-4e25-a9c4-5d2e7f1b3c60"}};
}

VerifyOptions options_at(std::int64_t now) {
  return VerifyOptions{.issuer = kIssuer,
                       .audience = kAudience,
                       .now = now,
                       .leeway_seconds = 30,
                       .max_lifetime_seconds = 86400};
}

void write_private(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

std::string flip_signature_bit(const std::string& token, std::size_t bit) {
  std::size_t dot = token.rfind('.');
  auto signature = base64url_decode(token.substr(dot + 1)).value();
  signature[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return fmt::format("{}.{}", token.substr(0, dot), base64url_encode(signature));
}

std::string replace_payload(const std::string& token, const json& payload) {
  std::size_t first = token.find('.');
  std::size_t last = token.rfind('.');
  std::string text = payload.dump();
  return fmt::format(
      "{}.{}{}", token.substr(0, first),
      base64url_encode(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())),
      token.substr(last));
}

class JoseInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = lucid::testing::find_program("node");
    if (node_.empty()) GTEST_SKIP() << "node is not installed (scripts/bootstrap installs nodejs)";
    if (!fs::exists(jose_dir_ / "node_modules" / "jose" / "package.json")) {
      GTEST_SKIP() << "tests/jwt/jose/node_modules is missing (scripts/bootstrap runs npm ci there)";
    }
    crypto::Ed25519Seed seed;
    for (std::size_t i = 0; i < seed.size(); ++i) seed.data()[i] = static_cast<std::uint8_t>(0xa0 + i);
    key_ = crypto::Ed25519KeyPair::from_seed(seed);
    public_jwk_ = dir_ / "gateway.jwk.json";
    std::ofstream(public_jwk_) << to_jwk(key_.public_key(), kKid).dump();
    ASSERT_TRUE(keys_.add(kKid, key_.public_key()).has_value());
  }

  // jose's token for `claims`, signed with key_ given to node as a private JWK or a PKCS#8 PEM file
  // in the private scratch directory, removed as soon as node is done.
  std::string jose_sign(const json& claims, bool pkcs8 = false, const std::string& kid = kKid) {
    fs::path key_file = dir_ / (pkcs8 ? "gateway.pk8.pem" : "gateway.private.jwk.json");
    if (pkcs8) {
      std::vector<std::uint8_t> der = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                       0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
      der.insert(der.end(), key_.seed().span().begin(), key_.seed().span().end());
      write_private(key_file, fmt::format("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                                          base64_encode(der)));
      secure_zero(der.data(), der.size());
    } else {
      json jwk = to_jwk(key_.public_key(), kid);
      jwk["d"] = base64url_encode(key_.seed().span());
      write_private(key_file, jwk.dump());
    }
    std::vector<std::string> argv = {node_, (jose_dir_ / "jwt.mjs").string(), "sign", key_file.string(),
                                     claims.dump()};
    if (pkcs8) argv.push_back(kid);
    auto result = lucid::testing::run(argv);
    fs::remove(key_file);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::string token = result.out;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    return token;
  }

  std::string jose_sign_hs256(const json& claims) {
    auto result = lucid::testing::run(
        {node_, (jose_dir_ / "jwt.mjs").string(), "sign-hs256", public_jwk_.string(), claims.dump()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::string token = result.out;
    while (!token.empty() && token.back() == '\n') token.pop_back();
    return token;
  }

  // jose's verdict on `token` at `now` (the token goes to node on stdin, not in argv).
  lucid::testing::RunResult jose_verify(const std::string& token, std::int64_t now = kNow) {
    fs::path token_file = dir_ / "token";
    write_private(token_file, token);
    auto result = lucid::testing::run({node_, (jose_dir_ / "jwt.mjs").string(), "verify",
                                       public_jwk_.string(), "-", kIssuer, kAudience, std::to_string(now)},
                                      token_file);
    fs::remove(token_file);
    EXPECT_NE(result.exit_code, 2) << "jwt.mjs usage or key error: " << result.err;
    return result;
  }

  static constexpr const char* kKid = "gateway-2026-01";
  const fs::path jose_dir_ = LUCID_JWT_JOSE_DIR;
  lucid::testing::ScratchDir dir_;
  std::string node_;
  crypto::Ed25519KeyPair key_ = crypto::Ed25519KeyPair::generate();
  fs::path public_jwk_;
  KeySet keys_;
};

TEST_F(JoseInterop, CppSignedTokensVerifyInJose) {
  json claims = claims_at(kNow);
  std::string token = sign(claims, key_, kKid);
  auto verdict = jose_verify(token);
  ASSERT_EQ(verdict.exit_code, 0) << verdict.err;
  EXPECT_EQ(json::parse(verdict.out), claims);
  // Non-ASCII claims survive both ways of writing JSON.
  claims["sub"] = "nœud-edge-eu-1 ⚓";
  verdict = jose_verify(sign(claims, key_, kKid));
  ASSERT_EQ(verdict.exit_code, 0) << verdict.err;
  EXPECT_EQ(json::parse(verdict.out), claims);
}

TEST_F(JoseInterop, JoseSignedTokensVerifyInCpp) {
  for (bool pkcs8 : {false, true}) {
    json claims = claims_at(kNow);
    claims["sub"] = "nœud-edge-eu-1 ⚓";
    std::string token = jose_sign(claims, pkcs8);
    ASSERT_FALSE(token.empty());
    auto verified = verify(token, keys_, options_at(kNow));
    ASSERT_TRUE(verified.has_value()) << (pkcs8 ? "PKCS#8: " : "JWK: ") << verified.error().message;
    EXPECT_EQ(verified->payload(), claims);
    EXPECT_EQ(verified->kid(), kKid);
    EXPECT_EQ(verified->subject(), "nœud-edge-eu-1 ⚓");
    EXPECT_TRUE(verified->has_scope("session:write"));
    EXPECT_FALSE(verified->has_scope("index:read"));
    // jose wrote the header Lucid documents, so Lucid's own token for these claims is the same.
    EXPECT_EQ(sign(claims, key_, kKid), token);
  }
}

TEST_F(JoseInterop, TamperedTokensAreRefusedByBoth) {
  json claims = claims_at(kNow);
  json altered = claims;
  altered["scope"] = "session:write index:read";
  for (const std::string& token : {sign(claims, key_, kKid), jose_sign(claims)}) {
    ASSERT_FALSE(token.empty());
    ASSERT_EQ(jose_verify(token).exit_code, 0);
    ASSERT_TRUE(verify(token, keys_, options_at(kNow)).has_value());
    for (std::size_t bit : {0u, 77u, 300u, 511u}) {
      std::string flipped = flip_signature_bit(token, bit);
      auto cpp = verify(flipped, keys_, options_at(kNow));
      ASSERT_FALSE(cpp.has_value()) << bit;
      EXPECT_EQ(cpp.error().kind, ErrorKind::kAuthentication);
      auto jose = jose_verify(flipped);
      EXPECT_EQ(jose.exit_code, 1) << bit << " " << jose.out;
    }
    std::string escalated = replace_payload(token, altered);
    auto cpp = verify(escalated, keys_, options_at(kNow));
    ASSERT_FALSE(cpp.has_value());
    EXPECT_EQ(cpp.error().kind, ErrorKind::kAuthentication);
    EXPECT_EQ(jose_verify(escalated).exit_code, 1);
  }
}

TEST_F(JoseInterop, NoneAndHs256AreRefusedByCpp) {
  json claims = claims_at(kNow);
  // jose's HS256 token whose secret is the Ed25519 public key: the algorithm-confusion forgery.
  std::string hs256 = jose_sign_hs256(claims);
  ASSERT_EQ(std::count(hs256.begin(), hs256.end(), '.'), 2) << hs256;
  auto cpp = verify(hs256, keys_, options_at(kNow));
  ASSERT_FALSE(cpp.has_value());
  EXPECT_EQ(cpp.error().kind, ErrorKind::kAuthentication);
  EXPECT_NE(cpp.error().message.find("header alg \"HS256\" is not accepted"), std::string::npos)
      << cpp.error().message;
  EXPECT_EQ(jose_verify(hs256).exit_code, 1);
  // An unsecured token (RFC 7519 section 6): alg "none", empty signature.
  auto part = [](const std::string& text) {
    return base64url_encode(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  };
  std::string none = fmt::format("{}.{}.", part(R"({"alg":"none","kid":"gateway-2026-01","typ":"JWT"})"),
                                 part(claims.dump()));
  cpp = verify(none, keys_, options_at(kNow));
  ASSERT_FALSE(cpp.has_value());
  EXPECT_NE(cpp.error().message.find("header alg \"none\" is not accepted"), std::string::npos)
      << cpp.error().message;
  EXPECT_EQ(jose_verify(none).exit_code, 1);
}

TEST_F(JoseInterop, BothAgreeOnTheExpiryEdge) {
  json claims = claims_at(kNow);
  const auto exp = claims["exp"].get<std::int64_t>();
  for (const std::string& token : {sign(claims, key_, kKid), jose_sign(claims)}) {
    for (std::int64_t now : {exp - 1, exp + 29, exp + 30, exp + 31}) {
      bool cpp = verify(token, keys_, options_at(now)).has_value();
      bool jose = jose_verify(token, now).exit_code == 0;
      EXPECT_EQ(cpp, now < exp + 30) << now;
      EXPECT_EQ(jose, cpp) << now;
    }
  }
}

TEST_F(JoseInterop, KeyRotationWithJoseSignedTokens) {
  auto old_key = crypto::Ed25519KeyPair::generate();
  KeySet keys;
  ASSERT_TRUE(keys.add("gateway-2025-12", old_key.public_key()).has_value());
  ASSERT_TRUE(keys.add(kKid, key_.public_key()).has_value());
  std::string token = jose_sign(claims_at(kNow));
  auto verified = verify(token, keys, options_at(kNow));
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->kid(), kKid);
  // The same key under the other kid: the kid picks the old key, and the signature fails.
  std::string mislabelled = jose_sign(claims_at(kNow), /*pkcs8=*/true, "gateway-2025-12");
  auto refused = verify(mislabelled, keys, options_at(kNow));
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("signature does not verify"), std::string::npos);
}

TEST_F(JoseInterop, VectorsAreWhatJoseMakes) {
  auto result =
      lucid::testing::run({node_, (jose_dir_ / "gen_vectors.mjs").string(), "--check",
                           (lucid::testing::project_vectors_dir() / "jwt" / "eddsa.json").string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

}  // namespace
}  // namespace lucid::jwt
