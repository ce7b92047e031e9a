// sessions-manifests' API (lucid::sessions::ManifestsApi), every case on SQLite and on a real
// PostgreSQL server: a session id minted by a real Gateway, a recording sealed under it by
// seal_stream, the manifest submitted with the gateway's token — stored once, a retry answered the
// same; each refusal in its order with its status (no token, another issuer, expired, another
// session, another node, a forged signature or root, an id reused for another manifest).
#include "lucid/sessions/manifests_api.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/jwt/jwk.h"
#include "lucid/seal/seal_session.h"
#include "lucid/sessions/gateway.h"
#include "lucid/sessions/mint_request.h"
#include "sessions_fixtures.h"
#include "testing/sql_stores.h"
#include "testing/testing.h"

namespace lucid::sessions {
namespace {

using nlohmann::json;
using namespace testing_fixtures;

struct Minted {
  std::string session_id;
  std::string token;
};

class ManifestsApiTest : public testing::SqlStoreTest<ManifestStore> {
 protected:
  void SetUp() override {
    SqlStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto mints = MintStore::open(fmt::format("sqlite:{}", (dir_ / "mints.db").string()));
    ASSERT_TRUE(mints) << mints.error().message;
    mints_ = std::move(*mints);
    GatewayOptions gateway;
    gateway.nodes = {node_.public_key(), other_node_.public_key()};
    gateway.policy_pins = {policy_hash(standard_policy()).value()};
    gateway.rate = {6000, 100};
    gateway.clock_ms = [this] { return now_ms_.load(); };
    gateway_ = std::make_unique<Gateway>(*mints_, token_key_, gateway);

    ManifestsApiOptions options;
    options.gateway_keys = gateway_keys_from_list(to_hex(token_key_.public_key())).value();
    options.clock_ms = [this] { return now_ms_.load(); };
    api_ = std::make_unique<ManifestsApi>(*store_, std::move(options));
    write_recording();
  }

  void write_recording(const std::string& tail = "end") {
    std::ofstream(dir_ / "recording.ts") << std::string(300'000, 'r') << tail;
  }

  Minted mint(const crypto::Ed25519KeyPair& node) {
    MintRequestFields fields;
    fields.nonce = new_mint_nonce();
    fields.timestamp_ms = now_ms_.load();
    fields.policy = standard_policy();
    http::Request request;
    request.method = "POST";
    request.target = "/v1/mint";
    request.body = sign_mint_request(node, fields).value();
    const http::Response answer = gateway_->handle(request);
    EXPECT_EQ(answer.status, 201) << answer.body;
    const json body = json::parse(answer.body);
    return {body.value("session_id", ""), body.value("token", "")};
  }

  // The manifest of the recording sealed by `node` under `session_id`, as node-worker would write it.
  std::string seal(const crypto::Ed25519KeyPair& node, const std::string& session_id) {
    seal::SealOptions options;
    options.session_id = session_id;
    options.chunk_size = seal::kMinChunkSize;
    options.threads = 1;
    options.fsync = false;
    options.codec = "video/mp2t";
    const int fd = ::open((dir_ / "recording.ts").c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    const auto out = dir_ / fmt::format("session-{}", sealed_++);
    seal::SessionKey key;
    for (auto& b : key.span()) b = 0x5a;
    auto summary = seal::seal_stream(fd, out, node, key, options);
    ::close(fd);
    EXPECT_TRUE(summary) << summary.error().message;
    std::ifstream in(out / "manifest.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  http::Response submit(const std::string& manifest, const std::string& token) {
    http::Request request;
    request.method = "POST";
    request.target = "/v1/manifests";
    request.body = manifest;
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    return api_->handle(request);
  }

  http::Response get(const std::string& target, const std::string& token = "") {
    http::Request request;
    request.method = "GET";
    request.target = target;
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    return api_->handle(request);
  }

  crypto::Ed25519KeyPair node_ = key_from_byte(7);
  crypto::Ed25519KeyPair other_node_ = key_from_byte(8);
  crypto::Ed25519KeyPair token_key_ = key_from_byte(1);
  std::atomic<std::int64_t> now_ms_{kStartMs};
  std::unique_ptr<MintStore> mints_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<ManifestsApi> api_;
  int sealed_ = 0;
};

TEST_P(ManifestsApiTest, AManifestIsStoredOnceAndARetryIsAnsweredTheSame) {
  const Minted minted = mint(node_);
  const std::string manifest = seal(node_, minted.session_id);
  const http::Response first = submit(manifest, minted.token);
  ASSERT_EQ(first.status, 202) << first.body;
  const json body = json::parse(first.body);
  EXPECT_EQ(body["session_id"], minted.session_id);
  EXPECT_EQ(body["state"], "queued");
  EXPECT_EQ(body["node_key"], to_hex(node_.public_key()));
  EXPECT_EQ(body["status_url"], "/v1/manifests/" + minted.session_id);
  const auto parsed = seal::parse_manifest(manifest).value();
  EXPECT_EQ(body["manifest_hash"], to_hex(parsed.hash().value()));
  EXPECT_EQ(body["merkle_root"], to_hex(parsed.merkle_root));
  EXPECT_EQ(body["chunk_count"], 1);

  now_ms_ += 5000;
  const http::Response retried = submit(manifest, minted.token);
  EXPECT_EQ(retried.status, 202) << retried.body;
  EXPECT_EQ(json::parse(retried.body)["received_at_ms"], kStartMs) << "a retry changes nothing stored";
  EXPECT_EQ(store_->queue_depth().value().queued, 1);

  const http::Response status = get("/v1/manifests/" + minted.session_id, minted.token);
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(json::parse(status.body)["state"], "queued");
  EXPECT_EQ(get("/v1/manifests/" + minted.session_id).status, 401);
  EXPECT_EQ(get("/v1/manifests/" + minted.session_id, mint(node_).token).status, 403);

  const http::Response metrics = get("/metrics");
  EXPECT_NE(metrics.body.find(R"(submissions_total{outcome="accepted"} 1)"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(R"(submissions_total{outcome="retried"} 1)"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("lucid_sessions_manifests_queue_depth 1"), std::string::npos) << metrics.body;
  const http::Response health = get("/health");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(json::parse(health.body)["oldest_unanchored_age_ms"], 5000);
}

TEST_P(ManifestsApiTest, TokensThatAreNotTheGatewaysForThisSessionAreRefused) {
  const Minted minted = mint(node_);
  const std::string manifest = seal(node_, minted.session_id);
  EXPECT_EQ(submit(manifest, "").status, 401);
  EXPECT_EQ(submit(manifest, "not.a.token").status, 401);
  // A token signed by another key with the same claims.
  json claims{{"iss", "sessions-gateway"},         {"aud", "sessions-manifests"},
              {"sub", to_hex(node_.public_key())}, {"sid", minted.session_id},
              {"scope", "session:write"},          {"iat", kStartMs / 1000},
              {"exp", kStartMs / 1000 + 3600}};
  EXPECT_EQ(submit(manifest, jwt::sign(claims, key_from_byte(2), "forged")).status, 401);
  // The right key without the scope.
  const std::string kid = jwt::jwk_thumbprint(token_key_.public_key());
  claims["scope"] = "index:read";
  EXPECT_EQ(submit(manifest, jwt::sign(claims, token_key_, kid)).status, 403);
  // Another session's token.
  const http::Response other_session = submit(manifest, mint(node_).token);
  EXPECT_EQ(other_session.status, 403);
  EXPECT_NE(other_session.body.find("the token is for session"), std::string::npos) << other_session.body;
  // Expired: four hours and the leeway later.
  now_ms_ += (4 * 3600 + 31) * 1000;
  const http::Response expired = submit(manifest, minted.token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
  EXPECT_EQ(store_->queue_depth().value().queued, 0);
}

TEST_P(ManifestsApiTest, ManifestsOfAnotherNodeOrForgedAreRefused) {
  const Minted minted = mint(node_);
  // Sealed and signed by another admitted node under this node's id and token.
  const http::Response other_node = submit(seal(other_node_, minted.session_id), minted.token);
  EXPECT_EQ(other_node.status, 403);
  EXPECT_NE(other_node.body.find("names another node"), std::string::npos) << other_node.body;

  const std::string manifest = seal(node_, minted.session_id);
  json forged = json::parse(manifest);
  std::string signature = forged["signatures"][0]["signature"];
  signature[0] = signature[0] == '0' ? '1' : '0';
  forged["signatures"][0]["signature"] = signature;
  const http::Response bad_signature = submit(forged.dump(), minted.token);
  EXPECT_EQ(bad_signature.status, 400);
  EXPECT_NE(bad_signature.body.find("signature"), std::string::npos) << bad_signature.body;

  json rerooted = json::parse(manifest);
  rerooted["merkle_root"] = std::string(64, '0');
  EXPECT_EQ(submit(rerooted.dump(), minted.token).status, 400);
  EXPECT_EQ(submit("{", minted.token).status, 400);

  // The id is used once: the good manifest is stored, another one sealed under the id is refused.
  ASSERT_EQ(submit(manifest, minted.token).status, 202);
  write_recording("another recording");
  const http::Response reused = submit(seal(node_, minted.session_id), minted.token);
  EXPECT_EQ(reused.status, 409) << reused.body;
  const http::Response metrics = get("/metrics");
  for (const char* line :
       {R"(outcome="forbidden"} 1)", R"(outcome="bad_manifest"} 2)", R"(outcome="malformed"} 1)",
        R"(outcome="conflict"} 1)", R"(outcome="accepted"} 1)"})
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
}

INSTANTIATE_TEST_SUITE_P(Engines, ManifestsApiTest,
                         ::testing::Values(sql::Engine::kSqlite, sql::Engine::kPostgres),
                         [](const auto& param) { return std::string(sql::engine_name(param.param)); });

TEST(ManifestsApiConfig, GatewayKeysFromAList) {
  const std::string a = to_hex(key_from_byte(1).public_key());
  auto keys = gateway_keys_from_list(fmt::format("{}, {}", a, to_hex(key_from_byte(2).public_key())));
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_NE(keys->find(jwt::jwk_thumbprint(key_from_byte(1).public_key())), nullptr);
  EXPECT_FALSE(gateway_keys_from_list(fmt::format("{},{}", a, a)));
  EXPECT_FALSE(gateway_keys_from_list("abc"));
  EXPECT_FALSE(gateway_keys_from_list(""));
}

}  // namespace
}  // namespace lucid::sessions
