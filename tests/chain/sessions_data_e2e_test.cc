// blockchain-sessions-data against a real chain on this machine: one etcd member, one
// lucid-blockchain-core validator (single-validator genesis) and the lucid-blockchain-sessions-data
// process. Anchors submitted to core appear in the indexer's API with the fields the chain recorded
// and their chunk anchors counted; killed and restarted, the indexer resumes from its store and has
// every session once; with core gone, its health turns 503 naming the failed poll.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chain_client.h"
#include "lucid/base/hex.h"
#include "lucid/base/http_client.h"
#include "lucid/chain/anchor_registry.h"
#include "one_validator_chain.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test_client::get_json;

class SessionsDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdCluster::available()) GTEST_SKIP() << testing::EtcdCluster::skip_reason();
    indexer_binary_ = (testing::bin_dir() / "lucid-blockchain-sessions-data").string();
    ASSERT_TRUE(std::filesystem::exists(indexer_binary_)) << indexer_binary_;
    auto started = chain_.start(dir_.path());
    ASSERT_TRUE(started.has_value()) << started.error().message;
    indexer_port_ = test_client::free_loopback_port();
  }

  void TearDown() override { stop_indexer(); }

  void stop_indexer() {
    if (indexer_pid_ <= 0) return;
    ::kill(indexer_pid_, SIGKILL);
    ::waitpid(indexer_pid_, nullptr, 0);
    indexer_pid_ = -1;
  }

  std::string core() const { return chain_.base(); }
  std::string indexer(const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", indexer_port_, path);
  }
  std::string tail(const std::string& log) const {
    auto bytes = testing::read_bytes(dir_ / log);
    std::string text(bytes.begin(), bytes.end());
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

  void start_indexer() {
    indexer_pid_ = testing::spawn(
        {indexer_binary_, "serve", "--core", core(), "--db", (dir_ / "state" / "sessions-data.db").string(),
         "--listen", fmt::format("127.0.0.1:{}", indexer_port_), "--poll-interval-ms", "200",
         "--max-poll-age-s", "2"},
        dir_ / "indexer.out", dir_ / "indexer.log");
    ASSERT_GT(indexer_pid_, 0);
  }

  json indexer_status() const { return get_json(indexer("/v1/status")).value_or(json::object()); }

  // Submits an anchor of session `session` (chain_client's: owner 0xee…, manifest 0x4d…, root
  // `session`…, 3 chunks) and returns it.
  Transaction anchor(std::uint8_t session) {
    Transaction tx = test_client::anchor_transaction(sender_, nonce_++, session);
    EXPECT_EQ(test_client::submit(core(), tx), 202);
    return tx;
  }
  // anchorChunks of `leaves` leaf hashes of `session` from index `first`, by the anchor's submitter.
  Transaction anchor_chunks(std::uint8_t session, std::uint64_t first, std::size_t leaves) {
    std::vector<AbiValue> hashes(leaves, AbiValue::bytes(Bytes(32, 0x11)));
    const std::vector<AbiValue> arguments{AbiValue::bytes(Bytes(16, session)), AbiValue::uint(first),
                                          AbiValue::list(std::move(hashes))};
    Transaction tx{"lucid-test",
                   {},
                   nonce_++,
                   "AnchorRegistry",
                   encode_call(*embedded_abi("AnchorRegistry").function("anchorChunks"), arguments).value(),
                   {}};
    sign_transaction(tx, sender_);
    EXPECT_EQ(test_client::submit(core(), tx), 202);
    return tx;
  }
  // Waits until every one is final and succeeded; the highest height among them.
  std::uint64_t wait_final(const std::vector<Transaction>& sent) {
    std::uint64_t highest = 0;
    for (const Transaction& tx : sent) {
      std::optional<json> receipt;
      EXPECT_TRUE(testing::wait_until(
          [&] { return (receipt = test_client::final_receipt(core(), tx)).has_value(); }, 20s))
          << "not final: " << test_client::status(core()).dump() << chain_.validator_log_tail();
      if (!receipt) return 0;
      EXPECT_TRUE((*receipt)["receipt"]["success"].get<bool>()) << receipt->dump();
      highest = std::max(highest, (*receipt)["height"].get<std::uint64_t>());
      heights_[to_hex(transaction_hash(tx))] = (*receipt)["height"].get<std::uint64_t>();
    }
    return highest;
  }
  // Every session the list serves, page by page (`limit` each), in order.
  std::vector<json> list_all(const std::string& filter, int limit) const {
    std::vector<json> all;
    std::string after;
    for (int pages = 0; pages < 50; ++pages) {
      long code = 0;
      auto page = get_json(indexer(fmt::format("/v1/sessions?limit={}{}{}", limit, filter,
                                               after.empty() ? "" : "&after=" + after)),
                           &code);
      EXPECT_EQ(code, 200);
      if (!page) return all;
      for (const json& s : (*page)["sessions"]) all.push_back(s);
      if ((*page)["next"].is_null()) return all;
      after = (*page)["next"].get<std::string>();
    }
    ADD_FAILURE() << "more than 50 pages";
    return all;
  }

  testing::ScratchDir dir_;
  test_client::OneValidatorChain chain_;
  std::string indexer_binary_;
  int indexer_port_ = 0;
  int indexer_pid_ = -1;
  crypto::Ed25519KeyPair sender_ = test_client::fixed_key(0x5d);
  std::uint64_t nonce_ = 0;
  std::map<std::string, std::uint64_t> heights_;  // tx hash → height
};

TEST_F(SessionsDataTest, MirrorsAnchorsResumesAfterAKillAndReportsALostCore) {
  start_indexer();
  // 1. Five anchors and chunk anchors of session 1: indexed with the chain's fields.
  std::vector<Transaction> sent;
  for (std::uint8_t s = 1; s <= 5; ++s) sent.push_back(anchor(s));
  const std::uint64_t highest = wait_final(sent);
  const std::vector<Transaction> chunks{anchor_chunks(1, 0, 2)};
  const std::uint64_t chunks_height = wait_final(chunks);
  ASSERT_GT(highest, 0u);
  ASSERT_TRUE(testing::wait_until(
      [&] {
        const json s = indexer_status();
        return s.value("indexed_height", 0ULL) >= chunks_height && s.value("sessions", 0) == 5 &&
               s.value("chunk_anchors", 0) == 2;
      },
      15s))
      << indexer_status().dump() << tail("indexer.log");

  long code = 0;
  auto one = get_json(indexer("/v1/sessions/" + to_hex(Bytes(16, 1))), &code);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(code, 200);
  EXPECT_EQ((*one)["session_id"], to_hex(Bytes(16, 1)));
  EXPECT_EQ((*one)["owner"], to_hex(Bytes(32, 0xee)));
  EXPECT_EQ((*one)["manifest_hash"], to_hex(Bytes(32, 0x4d)));
  EXPECT_EQ((*one)["merkle_root"], to_hex(Bytes(32, 1)));
  EXPECT_EQ((*one)["chunk_count"], 3);
  EXPECT_EQ((*one)["started_at"], 1796000000);
  EXPECT_EQ((*one)["transaction"], to_hex(transaction_hash(sent[0])));
  EXPECT_EQ((*one)["height"], heights_[to_hex(transaction_hash(sent[0]))]);
  EXPECT_EQ((*one)["chunk_anchors"], 2);
  // The manifest's UUID text names the same session.
  auto by_uuid = get_json(indexer("/v1/sessions/01010101-0101-0101-0101-010101010101"), &code);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(by_uuid.value_or(json())["session_id"], to_hex(Bytes(16, 1)));
  (void)get_json(indexer("/v1/sessions/" + to_hex(Bytes(16, 0x77))), &code);
  EXPECT_EQ(code, 404);
  for (const char* bad :
       {"/v1/sessions/xyz", "/v1/sessions?limit=0", "/v1/sessions?limit=1001", "/v1/sessions?owner=zz",
        "/v1/sessions?after=nope", "/v1/sessions?from_height=x", "/v1/sessions?from_height=5&to_height=4"}) {
    auto refused = get_json(indexer(bad), &code);
    EXPECT_EQ(code, 400) << bad;
    EXPECT_TRUE(refused.has_value() && refused->contains("error")) << bad;
  }

  // Pages of two, in (height, session id) order; the owner filter.
  std::vector<json> listed = list_all("", 2);
  ASSERT_EQ(listed.size(), 5u);
  for (std::size_t i = 1; i < listed.size(); ++i)
    EXPECT_LT(
        std::make_pair(listed[i - 1]["height"].get<std::uint64_t>(),
                       listed[i - 1]["session_id"].get<std::string>()),
        std::make_pair(listed[i]["height"].get<std::uint64_t>(), listed[i]["session_id"].get<std::string>()));
  EXPECT_EQ(list_all("&owner=" + to_hex(Bytes(32, 0xee)), 100).size(), 5u);
  EXPECT_EQ(list_all("&owner=" + to_hex(Bytes(32, 0xab)), 100).size(), 0u);
  EXPECT_EQ(list_all(fmt::format("&from_height={}&to_height={}", highest + 1, highest + 1000), 100).size(),
            0u);

  // Caught up: status, health, and the CLI `lucidctl accept` runs.
  ASSERT_TRUE(testing::wait_until([&] { return indexer_status().value("lag_blocks", 1) == 0; }, 10s))
      << indexer_status().dump();
  const json caught_up = indexer_status();
  EXPECT_EQ(caught_up["chain_id"], "lucid-test");
  EXPECT_EQ(caught_up["core"], core());
  EXPECT_EQ(caught_up["last_error"], "");
  EXPECT_TRUE(caught_up["caught_up"].get<bool>()) << caught_up.dump();
  (void)get_json(indexer("/health"), &code);
  EXPECT_EQ(code, 200);
  auto cli = testing::run({indexer_binary_, "status", "--json", "--url", indexer("/v1/status")});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_EQ(json::parse(cli.out, nullptr, false).value("sessions", 0), 5) << cli.out;
  EXPECT_EQ(testing::run({indexer_binary_, "health", "--url", indexer("/health")}).exit_code, 0);
  auto metrics = http_get(indexer("/metrics"));
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("lucid_sessions_data_sessions 5\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("lucid_sessions_data_lag_blocks 0\n"), std::string::npos) << metrics->body;

  // 2. Killed, while more is anchored; restarted, it resumes from its store and has everything once.
  stop_indexer();
  std::vector<Transaction> more;
  for (std::uint8_t s = 6; s <= 8; ++s) more.push_back(anchor(s));
  more.push_back(anchor_chunks(1, 2, 1));
  const std::uint64_t later = wait_final(more);
  start_indexer();
  ASSERT_TRUE(testing::wait_until(
      [&] {
        const json s = indexer_status();
        return s.value("indexed_height", 0ULL) >= later && s.value("lag_blocks", 1) == 0;
      },
      15s))
      << indexer_status().dump() << tail("indexer.log");
  const json resumed = indexer_status();
  EXPECT_EQ(resumed["sessions"], 8) << resumed.dump();
  EXPECT_EQ(resumed["chunk_anchors"], 3) << resumed.dump();
  listed = list_all("", 3);
  std::set<std::string> ids;
  for (const json& s : listed) ids.insert(s["session_id"].get<std::string>());
  EXPECT_EQ(listed.size(), 8u);
  EXPECT_EQ(ids.size(), 8u) << "no session twice";
  EXPECT_EQ(get_json(indexer("/v1/sessions/" + to_hex(Bytes(16, 1)))).value_or(json())["chunk_anchors"], 3);
  EXPECT_EQ(tail("indexer.log").find("poll failed"), std::string::npos) << tail("indexer.log");

  // 3. Core gone: the poll fails, health turns 503 naming it, and `status` exits 1.
  chain_.kill_validator();
  json unhealthy;
  ASSERT_TRUE(testing::wait_until(
      [&] {
        auto body = get_json(indexer("/health"), &code);
        if (body) unhealthy = *body;
        return code == 503;
      },
      10s))
      << indexer_status().dump();
  EXPECT_NE(unhealthy.value("error", "").find("blockchain-core " + core()), std::string::npos)
      << unhealthy.dump();
  EXPECT_NE(indexer_status().value("last_error", "").find(core()), std::string::npos)
      << indexer_status().dump();
  EXPECT_EQ(testing::run({indexer_binary_, "health", "--url", indexer("/health")}).exit_code, 1);
  EXPECT_EQ(testing::run({indexer_binary_, "status", "--url", indexer("/v1/status")}).exit_code, 1);
  EXPECT_EQ(indexer_status()["sessions"], 8) << "what was indexed is still served";
}

// More anchors in one range than core's events answer carries (1,000): the indexer keeps the whole
// heights before the cut and reads the rest again, so every session is indexed, once.
TEST_F(SessionsDataTest, ReadsPastCoresEventBoundInWholeHeights) {
  constexpr std::uint32_t kAnchors = 1100;
  std::vector<Transaction> sent;
  for (std::uint32_t n = 0; n < kAnchors; ++n) {
    Bytes session(16, 0x90);
    for (int b = 0; b < 4; ++b) session[12 + b] = static_cast<std::uint8_t>(n >> (24 - 8 * b));
    const std::vector<AbiValue> arguments{AbiValue::bytes(session),         AbiValue::bytes(Bytes(32, 0x4d)),
                                          AbiValue::bytes(Bytes(32, 0x52)), AbiValue::uint(1),
                                          AbiValue::uint(1796000000),       AbiValue::bytes(Bytes(32, 0xee))};
    Transaction tx{"lucid-test",
                   {},
                   nonce_++,
                   "AnchorRegistry",
                   encode_call(*embedded_abi("AnchorRegistry").function("anchor"), arguments).value(),
                   {}};
    sign_transaction(tx, sender_);
    ASSERT_EQ(test_client::submit(core(), tx), 202) << n;
    sent.push_back(std::move(tx));
  }
  // The last one final means every earlier nonce of the sender is too.
  const std::uint64_t last = wait_final({sent.back()});
  ASSERT_GT(last, 0u);
  // Started only now, so its first batch spans every one of them.
  start_indexer();
  ASSERT_TRUE(testing::wait_until(
      [&] {
        const json s = indexer_status();
        return s.value("indexed_height", 0ULL) >= last && s.value("lag_blocks", 1) == 0;
      },
      20s))
      << indexer_status().dump() << tail("indexer.log");
  EXPECT_EQ(indexer_status()["sessions"], kAnchors) << indexer_status().dump();
  std::vector<json> listed = list_all("", 1000);
  std::set<std::string> ids;
  for (const json& s : listed) ids.insert(s["session_id"].get<std::string>());
  EXPECT_EQ(listed.size(), kAnchors);
  EXPECT_EQ(ids.size(), kAnchors);
}

}  // namespace
}  // namespace lucid::chain
