// sessions-gateway's store: every case on SQLite and on PostgreSQL, with the same expectations.
#include "lucid/sessions/mint_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "testing/sql_stores.h"
#include "testing/testing.h"

namespace lucid::sessions {
namespace {

MintRequest make_request(int id, std::string nonce, std::string node = "node-a",
                         std::int64_t at_ms = 1'000'000) {
  MintRequest r;
  r.record.session_id = fmt::format("00000000-0000-4000-8000-{:012d}", id);
  r.record.node_key = std::move(node);
  r.record.policy_hash = fmt::format("{:064x}", id * 3);
  r.record.minted_at_ms = at_ms;
  r.record.expires_at_ms = at_ms + 4 * 3'600'000;
  r.nonce = std::move(nonce);
  return r;
}

using MintStoreTest = testing::SqlStoreTest<MintStore>;

TEST_P(MintStoreTest, AMintIsStoredAndFoundAsMinted) {
  const MintRequest r = make_request(1, "n1");
  ASSERT_EQ(store_->mint(r).value(), MintOutcome::kMinted);
  auto found = store_->find(r.record.session_id);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->session_id, r.record.session_id);
  EXPECT_EQ((*found)->node_key, r.record.node_key);
  EXPECT_EQ((*found)->policy_hash, r.record.policy_hash);
  EXPECT_EQ((*found)->minted_at_ms, r.record.minted_at_ms);
  EXPECT_EQ((*found)->expires_at_ms, r.record.expires_at_ms);
  EXPECT_FALSE(store_->find(make_request(2, "x").record.session_id).value());
}

TEST_P(MintStoreTest, AReplayedNonceMintsNothing) {
  ASSERT_EQ(store_->mint(make_request(1, "nonce-1")).value(), MintOutcome::kMinted);
  EXPECT_EQ(store_->mint(make_request(2, "nonce-1")).value(), MintOutcome::kReplayed);
  EXPECT_FALSE(store_->find(make_request(2, "nonce-1").record.session_id).value());
  // Nonces are per node: another node's nonce-1 is its own.
  EXPECT_EQ(store_->mint(make_request(3, "nonce-1", "node-b")).value(), MintOutcome::kMinted);
}

TEST_P(MintStoreTest, AnIdIsNeverReusedAndTheRefusalLeavesTheNonceUnused) {
  ASSERT_EQ(store_->mint(make_request(1, "n1")).value(), MintOutcome::kMinted);
  MintRequest again = make_request(1, "n2");
  again.record.node_key = "node-b";
  auto refused = store_->mint(again);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_NE(refused.error().message.find("was minted before; ids are never reused"), std::string::npos);
  EXPECT_EQ(store_->find(again.record.session_id).value()->node_key, "node-a");
  // The gateway draws another id and the same request (nonce n2) goes through.
  MintRequest retry = make_request(5, "n2");
  retry.record.node_key = "node-b";
  EXPECT_EQ(store_->mint(retry).value(), MintOutcome::kMinted);
}

TEST_P(MintStoreTest, BadMintsAreRefused) {
  MintRequest r = make_request(1, "");
  auto no_nonce = store_->mint(r);
  ASSERT_FALSE(no_nonce);
  EXPECT_EQ(no_nonce.error().message, "a mint's nonce is empty");
  r = make_request(1, "n");
  r.record.expires_at_ms = r.record.minted_at_ms;
  ASSERT_FALSE(store_->mint(r));
  EXPECT_FALSE(store_->find(r.record.session_id).value());
}

TEST_P(MintStoreTest, ForgettingDropsOnlyNoncesOlderThanTheWindow) {
  ASSERT_EQ(store_->mint(make_request(1, "old", "node-a", 1000)).value(), MintOutcome::kMinted);
  ASSERT_EQ(store_->mint(make_request(2, "older", "node-b", 2000)).value(), MintOutcome::kMinted);
  ASSERT_EQ(store_->mint(make_request(3, "recent", "node-a", 3000)).value(), MintOutcome::kMinted);
  EXPECT_EQ(store_->forget_nonces_before(2500).value(), 2);
  EXPECT_EQ(store_->mint(make_request(4, "recent", "node-a", 3100)).value(), MintOutcome::kReplayed);
  EXPECT_EQ(store_->mint(make_request(5, "old", "node-a", 3100)).value(), MintOutcome::kMinted);
  EXPECT_TRUE(store_->find(make_request(1, "old").record.session_id).value());  // mints are kept
}

TEST_P(MintStoreTest, ReplicasRacingOnOneNonceMintOnce) {
  constexpr int kReplicas = 4;
  constexpr int kNonces = 25;
  std::vector<std::unique_ptr<MintStore>> replicas;
  for (int r = 0; r < kReplicas; ++r) {
    auto opened = MintStore::open(store_name_);
    ASSERT_TRUE(opened) << opened.error().message;
    replicas.push_back(std::move(*opened));
  }
  std::atomic<int> minted{0}, replayed{0}, errors{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReplicas; ++r)
    threads.emplace_back([&, r] {
      for (int n = 0; n < kNonces; ++n) {
        // Each replica draws its own id for the same signed request (same node, same nonce).
        auto outcome =
            replicas[static_cast<std::size_t>(r)]->mint(make_request(r * 1000 + n, fmt::format("n{}", n)));
        if (!outcome)
          ++errors;
        else if (*outcome == MintOutcome::kMinted)
          ++minted;
        else
          ++replayed;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(minted.load(), kNonces);
  EXPECT_EQ(replayed.load(), (kReplicas - 1) * kNonces);
}

INSTANTIATE_TEST_SUITE_P(Engines, MintStoreTest,
                         ::testing::Values(sql::Engine::kSqlite, sql::Engine::kPostgres),
                         [](const auto& engine) { return std::string(sql::engine_name(engine.param)); });

}  // namespace
}  // namespace lucid::sessions
