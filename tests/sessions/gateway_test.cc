// sessions-gateway's API (lucid::sessions::Gateway), every case on SQLite and on a real PostgreSQL
// server: a mint answers with an id and a session:write token that verifies with the published keys;
// each refusal in its order with its status; the rate limit; a nonce replayed to another replica on
// the same database; the wire over a real HTTP server; the allow-list and pin files.
#include "lucid/sessions/gateway.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/base/http_client.h"
#include "lucid/base/random.h"
#include "lucid/jwt/jwk.h"
#include "lucid/jwt/jwt.h"
#include "lucid/sessions/mint_request.h"
#include "sessions_fixtures.h"
#include "testing/sql_stores.h"
#include "testing/testing.h"

namespace lucid::sessions {
namespace {

using nlohmann::json;
using namespace testing_fixtures;

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

class GatewayTest : public testing::SqlStoreTest<MintStore> {
 protected:
  void SetUp() override {
    SqlStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    options_.nodes = {node_.public_key()};
    options_.policy_pins = {policy_hash(standard_policy()).value()};
    options_.rate = {60, 3};
    options_.clock_ms = [this] { return now_ms_.load(); };
    gateway_ = std::make_unique<Gateway>(*store_, key_from_byte(1), options_);
  }

  std::string request_text(const crypto::Ed25519KeyPair& node, std::int64_t at_ms,
                           const json& policy = standard_policy()) {
    MintRequestFields fields;
    fields.nonce = new_mint_nonce();
    fields.timestamp_ms = at_ms;
    fields.policy = policy;
    return sign_mint_request(node, fields).value();
  }

  http::Response post(Gateway& gateway, const std::string& body) {
    http::Request request;
    request.method = "POST";
    request.target = "/v1/mint";
    request.body = body;
    return gateway.handle(request);
  }
  http::Response post(const std::string& body) { return post(*gateway_, body); }

  http::Response get(const std::string& target) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    return gateway_->handle(request);
  }

  jwt::KeySet published_keys() {
    const http::Response keys = get("/v1/keys");
    EXPECT_EQ(keys.status, 200);
    return jwt::key_set_from_jwks(json::parse(keys.body)).value();
  }

  crypto::Ed25519KeyPair node_ = key_from_byte(7);
  GatewayOptions options_;
  std::atomic<std::int64_t> now_ms_{kStartMs};
  std::unique_ptr<Gateway> gateway_;
};

TEST_P(GatewayTest, AMintAnswersAnIdAndASessionWriteTokenBoundToTheNodeAndPolicy) {
  const http::Response answer = post(request_text(node_, kStartMs));
  ASSERT_EQ(answer.status, 201) << answer.body;
  const json body = json::parse(answer.body);
  const std::string id = body["session_id"];
  std::array<std::uint8_t, 16> uuid{};
  EXPECT_TRUE(parse_uuid(id, uuid)) << id;
  EXPECT_EQ(uuid[6] >> 4, 4) << "a version 4 UUID";
  const std::string pol = policy_hash(standard_policy()).value();
  EXPECT_EQ(body["policy_hash"], pol);
  EXPECT_EQ(body["token_type"], "Bearer");

  jwt::VerifyOptions verify;
  verify.issuer = "sessions-gateway";
  verify.audience = "sessions-manifests";
  verify.now = kStartMs / 1000 + 60;
  auto claims = jwt::verify(body["token"].get<std::string>(), published_keys(), verify);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->subject(), to_hex(node_.public_key()));
  EXPECT_EQ(claims->payload()["sid"], id);
  EXPECT_EQ(claims->payload()["pol"], pol);
  EXPECT_TRUE(claims->has_scope("session:write"));
  EXPECT_FALSE(claims->has_scope("index:read"));
  EXPECT_EQ(claims->exp() - claims->iat(), 4 * 3600);
  EXPECT_EQ(body["expires_at"], claims->exp());
  EXPECT_EQ(claims->kid(), gateway_->kid());
  // Another audience (sessions-index) does not take it.
  verify.audience = "sessions-index";
  EXPECT_FALSE(jwt::verify(body["token"].get<std::string>(), published_keys(), verify));

  auto record = store_->find(id).value();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->node_key, to_hex(node_.public_key()));
  EXPECT_EQ(record->policy_hash, pol);
  EXPECT_EQ(record->minted_at_ms, kStartMs);
  EXPECT_EQ(record->expires_at_ms, claims->exp() * 1000);
}

TEST_P(GatewayTest, EveryMintIsANewId) {
  options_.rate = {6000, 100};
  Gateway roomy(*store_, key_from_byte(1), options_);
  std::set<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    const http::Response answer = post(roomy, request_text(node_, kStartMs));
    ASSERT_EQ(answer.status, 201) << answer.body;
    ids.insert(json::parse(answer.body)["session_id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 40u);
}

TEST_P(GatewayTest, AReplayedRequestMintsNothingHereOrOnAnotherReplica) {
  const std::string request = request_text(node_, kStartMs);
  ASSERT_EQ(post(request).status, 201);
  const http::Response again = post(request);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("replayed"), std::string::npos) << again.body;
  // A second replica on the same database.
  auto other_store = MintStore::open(store_name_);
  ASSERT_TRUE(other_store) << other_store.error().message;
  Gateway other(**other_store, key_from_byte(1), options_);
  EXPECT_EQ(post(other, request).status, 409);
  EXPECT_EQ(post(other, request_text(node_, kStartMs)).status, 201);
}

TEST_P(GatewayTest, RefusalsComeInOrderWithTheirStatus) {
  // Not JSON; a bad signature; a node not admitted; a time outside the window; an unpinned policy.
  EXPECT_EQ(post("{").status, 400);
  json forged = json::parse(request_text(node_, kStartMs));
  forged["request"]["timestamp_ms"] = kStartMs + 1;
  EXPECT_EQ(post(forged.dump()).status, 401);
  const http::Response stranger = post(request_text(key_from_byte(9), kStartMs));
  EXPECT_EQ(stranger.status, 403);
  EXPECT_NE(stranger.body.find("allow-list"), std::string::npos) << stranger.body;
  const http::Response stale = post(request_text(node_, kStartMs - 61'000));
  EXPECT_EQ(stale.status, 401);
  EXPECT_NE(stale.body.find("behind the gateway's clock"), std::string::npos) << stale.body;
  EXPECT_EQ(post(request_text(node_, kStartMs + 61'000)).status, 401);
  EXPECT_EQ(post(request_text(node_, kStartMs + 60'000)).status, 201) << "the window's edge is inside";
  const http::Response unpinned = post(request_text(node_, kStartMs, json{{"name", "lax"}}));
  EXPECT_EQ(unpinned.status, 403);
  EXPECT_NE(unpinned.body.find("not pinned"), std::string::npos) << unpinned.body;
  EXPECT_EQ(get("/v1/mint").status, 405);
  EXPECT_EQ(get("/v1/nothing").status, 404);

  const http::Response metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* line :
       {"lucid_sessions_gateway_mints_total 1", R"(refused_total{reason="malformed"} 1)",
        R"(refused_total{reason="bad_signature"} 1)", R"(refused_total{reason="unknown_node"} 1)",
        R"(refused_total{reason="outside_window"} 2)", R"(refused_total{reason="policy_not_pinned"} 1)"})
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
}

TEST_P(GatewayTest, ANodeOverItsRateIsToldWhenToRetry) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(post(request_text(node_, kStartMs)).status, 201) << i;
  const http::Response limited = post(request_text(node_, kStartMs));
  EXPECT_EQ(limited.status, 429) << limited.body;
  ASSERT_EQ(limited.headers.size(), 1u);
  EXPECT_EQ(limited.headers[0].first, "Retry-After");
  EXPECT_EQ(limited.headers[0].second, "1");  // 60 per minute: a token a second
  now_ms_ += 1000;
  EXPECT_EQ(post(request_text(node_, now_ms_.load())).status, 201);
  EXPECT_EQ(post(request_text(node_, now_ms_.load())).status, 429);
}

TEST_P(GatewayTest, ServesOverHttpWithHealth) {
  options_.clock_ms = nullptr;  // the system clock, as deployed
  Gateway live(*store_, key_from_byte(1), options_);
  auto server =
      http::Server::start({"127.0.0.1:0"}, [&live](const http::Request& r) { return live.handle(r); });
  ASSERT_TRUE(server) << server.error().message;
  const std::string base = fmt::format("http://127.0.0.1:{}", (*server)->port(0));
  auto health = http_get(base + "/health");
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(json::parse(health->body)["kid"], jwt::jwk_thumbprint(key_from_byte(1).public_key()));
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  auto minted = http_post(base + "/v1/mint", request_text(node_, wall_ms));
  ASSERT_TRUE(minted) << minted.error().message;
  EXPECT_EQ(minted->status, 201) << minted->body;
  (*server)->stop();
}

INSTANTIATE_TEST_SUITE_P(Engines, GatewayTest,
                         ::testing::Values(sql::Engine::kSqlite, sql::Engine::kPostgres),
                         [](const auto& param) { return std::string(sql::engine_name(param.param)); });

TEST(GatewayConfig, AllowListLinesAreKeysWithOptionalLabels) {
  testing::ScratchDir dir;
  const std::string a = to_hex(key_from_byte(7).public_key());
  const std::string b = to_hex(key_from_byte(8).public_key());
  const auto file = dir.path() / "nodes";
  write_text(file, fmt::format("# edge nodes\n\n{} edge-eu-1\n  {}\t\n", a, b));
  auto nodes = load_node_allow_list(file);
  ASSERT_TRUE(nodes) << nodes.error().message;
  EXPECT_EQ(nodes->size(), 2u);
  EXPECT_TRUE(nodes->contains(key_from_byte(8).public_key()));

  write_text(file, fmt::format("{}\nnot-a-key label\n", a));
  auto bad = load_node_allow_list(file);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(fmt::format("{}:2:", file.string())), std::string::npos)
      << bad.error().message;
  write_text(file, fmt::format("{}\n{} again\n", a, a));
  EXPECT_FALSE(load_node_allow_list(file));
  write_text(file, "# nobody\n");
  EXPECT_FALSE(load_node_allow_list(file));
  EXPECT_FALSE(load_node_allow_list(dir.path() / "absent"));
}

TEST(GatewayConfig, NodeKeysFromAListAsTheClustersEnvGivesThem) {
  const std::string a = to_hex(key_from_byte(7).public_key());
  const std::string b = to_hex(key_from_byte(8).public_key());
  auto nodes = parse_node_keys(fmt::format("{}, {}", a, b));
  ASSERT_TRUE(nodes) << nodes.error().message;
  EXPECT_EQ(nodes->size(), 2u);
  auto bad = parse_node_keys(fmt::format("{},abc", a));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"abc\" is not a node's Ed25519 public key"), std::string::npos)
      << bad.error().message;
  EXPECT_FALSE(parse_node_keys(fmt::format("{},{}", a, a)));
  EXPECT_FALSE(parse_node_keys(" , "));
}

TEST(GatewayConfig, PinsAndOptionsAreChecked) {
  const std::string pin = std::string(64, 'A');
  auto pins = parse_policy_pins(fmt::format("{}, {}", pin, std::string(64, 'b')));
  ASSERT_TRUE(pins) << pins.error().message;
  EXPECT_TRUE(pins->contains(std::string(64, 'a'))) << "pins compare in lower case";
  auto bad = parse_policy_pins("abc");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"abc\""), std::string::npos) << bad.error().message;

  GatewayOptions options;
  EXPECT_NE(check_gateway_options(options).error().message.find("no node keys"), std::string::npos);
  options.nodes = {key_from_byte(7).public_key()};
  EXPECT_NE(check_gateway_options(options).error().message.find("no privacy policy"), std::string::npos);
  options.policy_pins = *pins;
  EXPECT_TRUE(check_gateway_options(options));
  options.token_lifetime = std::chrono::hours(25);
  EXPECT_FALSE(check_gateway_options(options));
  options.token_lifetime = std::chrono::hours(4);
  options.rate.per_minute = 0;
  EXPECT_FALSE(check_gateway_options(options));
}

}  // namespace
}  // namespace lucid::sessions
