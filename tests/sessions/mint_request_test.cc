// The signed session mint request (docs/formats.md "Session mint request"): the request Node's own
// crypto signed in tests/vectors/sessions/mint_request.json reads and re-signs byte for byte; every
// refusal of read_mint_request; the policy hash.
#include "lucid/sessions/mint_request.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/crypto/blake3.h"
#include "sessions_fixtures.h"
#include "testing/testing.h"

namespace lucid::sessions {
namespace {

using nlohmann::json;
using namespace testing_fixtures;

MintRequestFields sample_fields() {
  MintRequestFields f;
  f.nonce = std::string(32, 'a');
  f.timestamp_ms = 1'767'225'600'000;
  f.policy = json{{"name", "standard"}, {"version", 1}};
  return f;
}

// The envelope of sample_fields() signed by key 7, as a JSON document to alter.
json sample_envelope() {
  auto text = sign_mint_request(key_from_byte(7), sample_fields());
  EXPECT_TRUE(text) << text.error().message;
  return json::parse(text.value_or("{}"));
}

// The error of reading `envelope`, which must be refused with `kind`.
std::string refusal(const std::string& envelope, ErrorKind kind = ErrorKind::kInvalidArgument) {
  auto read = read_mint_request(envelope);
  EXPECT_FALSE(read) << envelope;
  if (read) return "";
  EXPECT_EQ(read.error().kind, kind) << read.error().message;
  return read.error().message;
}

TEST(MintRequest, ReadsWhatNodeCryptoSignedAndSignsItByteForByte) {
  std::ifstream in(testing::project_vectors_dir() / "sessions" / "mint_request.json");
  ASSERT_TRUE(in) << "tests/vectors/sessions/mint_request.json is missing";
  const json vector = json::parse(in);
  crypto::Ed25519Seed seed;
  ASSERT_TRUE(from_hex_into(vector["seed_hex"].get<std::string>(), seed.span()).has_value());
  const auto node = crypto::Ed25519KeyPair::from_seed(seed);
  ASSERT_EQ(to_hex(node.public_key()), vector["node_key"].get<std::string>());

  const std::string envelope = vector["envelope"].get<std::string>();
  auto read = read_mint_request(envelope);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->node_key, node.public_key());
  EXPECT_EQ(read->nonce, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  EXPECT_EQ(read->timestamp_ms, 1'767'225'600'000);
  EXPECT_EQ(read->policy["region"], "eu-zürich");

  auto again = sign_mint_request(node, *read);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, envelope);
}

TEST(MintRequest, PolicyHashIsBlake3OfTheCanonicalJson) {
  const json policy = json::parse(R"({"version": 1, "name": "standard", "shield": {"preset": "strict"}})");
  const std::string canonical = R"({"name":"standard","shield":{"preset":"strict"},"version":1})";
  auto hash = policy_hash(policy);
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_EQ(*hash, to_hex(crypto::blake3(std::span<const std::uint8_t>(
                       reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size()))));
  EXPECT_FALSE(policy_hash(json::array()));
  EXPECT_FALSE(policy_hash(json{{"ratio", 0.5}})) << "a fraction has no single canonical form here";
}

TEST(MintRequest, NoncesAreFreshAndWellFormed) {
  const std::string a = new_mint_nonce();
  const std::string b = new_mint_nonce();
  EXPECT_EQ(a.size(), kNonceHexDigits);
  EXPECT_NE(a, b);
}

TEST(MintRequest, AnythingSignedElseIsRefusedAsABadSignature) {
  // Each alteration of a signed request, re-serialised: the signature no longer verifies.
  for (const auto& [what, alter] : std::initializer_list<std::pair<const char*, void (*)(json&)>>{
           {"policy", [](json& e) { e["request"]["policy"]["version"] = 2; }},
           {"timestamp", [](json& e) { e["request"]["timestamp_ms"] = 1'767'225'600'001; }},
           {"nonce", [](json& e) { e["request"]["nonce"] = std::string(32, 'b'); }},
           {"node key", [](json& e) { e["request"]["node_key"] = to_hex(key_from_byte(8).public_key()); }},
           {"signature", [](json& e) {
              std::string s = e["signature"];
              s[0] = s[0] == '0' ? '1' : '0';
              e["signature"] = s;
            }}}) {
    json envelope = sample_envelope();
    alter(envelope);
    EXPECT_NE(refusal(envelope.dump(), ErrorKind::kAuthentication).find("does not verify"), std::string::npos)
        << what;
  }
}

TEST(MintRequest, MalformedEnvelopesAreRefusedByName) {
  const json good = sample_envelope();
  ASSERT_TRUE(read_mint_request(good.dump()));
  auto altered = [&](auto alter) {
    json e = good;
    alter(e);
    return refusal(e.dump());
  };
  EXPECT_NE(altered([](json& e) { e["request"]["extra"] = 1; }).find("request.extra"), std::string::npos);
  EXPECT_NE(altered([](json& e) { e["extra"] = 1; }).find("extra"), std::string::npos);
  EXPECT_NE(
      altered([](json& e) { e["request"]["format"] = "lucid.session-manifest"; }).find("request.format"),
      std::string::npos);
  EXPECT_NE(altered([](json& e) { e["request"]["version"] = 2; }).find("version 1, not 2"),
            std::string::npos);
  EXPECT_NE(altered([](json& e) { e["request"]["nonce"] = std::string(32, 'A'); }).find("request.nonce"),
            std::string::npos);
  EXPECT_NE(altered([](json& e) { e["request"]["nonce"] = "abc"; }).find("request.nonce"), std::string::npos);
  EXPECT_NE(altered([](json& e) { e["request"]["timestamp_ms"] = -1; }).find("timestamp_ms"),
            std::string::npos);
  EXPECT_NE(altered([](json& e) { e["request"]["policy"] = "standard"; }).find("request.policy"),
            std::string::npos);
  EXPECT_NE(altered([](json& e) { e["request"].erase("node_key"); }).find("request.node_key"),
            std::string::npos);
  EXPECT_NE(altered([](json& e) { e["signature"] = "00"; }).find("signature"), std::string::npos);

  EXPECT_NE(refusal("not json").find("not JSON"), std::string::npos);
  EXPECT_NE(refusal("[]").find("not a JSON object"), std::string::npos);
  // A member twice: parsers disagree on which one counts, so the request is refused outright.
  std::string twice = good.dump();
  twice.insert(twice.find("\"signature\""), R"("request":{},)");
  EXPECT_NE(refusal(twice).find("twice"), std::string::npos);
  // Bounds: the size before parsing, the policy's depth.
  EXPECT_NE(refusal(std::string(kMaxMintRequestBytes + 1, ' ')).find("more than"), std::string::npos);
  json deep = json::object();
  for (int i = 0; i < kMaxPolicyDepth + 1; ++i) deep = json{{"d", deep}};
  json too_deep = good;
  too_deep["request"]["policy"] = deep;
  EXPECT_NE(refusal(too_deep.dump()).find("deeper"), std::string::npos);
}

TEST(MintRequest, SigningRefusesWhatTheGatewayWouldRefuse) {
  const auto node = key_from_byte(7);
  MintRequestFields f = sample_fields();
  f.nonce = "short";
  EXPECT_FALSE(sign_mint_request(node, f));
  f = sample_fields();
  f.policy = json::array();
  EXPECT_FALSE(sign_mint_request(node, f));
  f = sample_fields();
  f.policy = json{{"blob", std::string(kMaxMintRequestBytes, 'x')}};
  auto too_big = sign_mint_request(node, f);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message.find("smaller policy"), std::string::npos);
}

}  // namespace
}  // namespace lucid::sessions
