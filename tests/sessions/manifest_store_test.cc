// sessions-manifests' store: every case on SQLite and on PostgreSQL, with the same expectations.
#include "lucid/sessions/manifest_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <set>
#include <thread>

#include "testing/sql_stores.h"
#include "testing/testing.h"

namespace lucid::sessions {
namespace {

NewSession make_session(int n, std::string node = "node-a", std::int64_t started_at_ms = 0) {
  NewSession s;
  s.session_id = fmt::format("00000000-0000-4000-8000-{:012d}", n);
  s.node_key = std::move(node);
  s.manifest_hash = fmt::format("{:064x}", n);
  s.merkle_root = fmt::format("{:064x}", n * 7 + 1);
  s.chunk_count = n % 5 + 1;
  s.started_at_ms = started_at_ms != 0 ? started_at_ms : 1'700'000'000'000 + n * 1000;
  s.received_at_ms = 1'800'000'000'000 + n;
  s.manifest_json = fmt::format(R"({{"session_id":"{}","note":"ünïcödé 'q' \"dq\""}})", s.session_id);
  return s;
}

AnchorTransaction make_tx(std::int64_t nonce, std::string sender = "0xsender") {
  return {std::move(sender), nonce, fmt::format("0x{:064x}", nonce + 1000),
          fmt::format("0xf86c{:04x}", nonce), 1'900'000'000'000 + nonce};
}

class ManifestStoreTest : public testing::SqlStoreTest<ManifestStore> {
 protected:
  StoredSession find(const std::string& id) {
    auto found = store_->find(id);
    EXPECT_TRUE(found) << found.error().message;
    EXPECT_TRUE(found && *found) << id;
    return found && *found ? **found : StoredSession{};
  }
};

TEST_P(ManifestStoreTest, AnIdIsStoredOnceRetriesAreAnsweredAndOtherManifestsRefused) {
  const NewSession first = make_session(1);
  EXPECT_EQ(store_->admit(first).value(), Admission::kStored);
  EXPECT_EQ(store_->admit(first).value(), Admission::kAlreadyStored);
  NewSession other = first;
  other.manifest_hash = fmt::format("{:064x}", 999);
  other.manifest_json = "{}";
  EXPECT_EQ(store_->admit(other).value(), Admission::kConflict);
  EXPECT_EQ(find(first.session_id).manifest_hash, first.manifest_hash);
  EXPECT_EQ(find(first.session_id).manifest_json, first.manifest_json);
}

TEST_P(ManifestStoreTest, FindReturnsWhatWasStored) {
  const NewSession s = make_session(42, "node-\"x\"");
  ASSERT_EQ(store_->admit(s).value(), Admission::kStored);
  const StoredSession got = find(s.session_id);
  EXPECT_EQ(got.session_id, s.session_id);
  EXPECT_EQ(got.node_key, s.node_key);
  EXPECT_EQ(got.manifest_hash, s.manifest_hash);
  EXPECT_EQ(got.merkle_root, s.merkle_root);
  EXPECT_EQ(got.chunk_count, s.chunk_count);
  EXPECT_EQ(got.started_at_ms, s.started_at_ms);
  EXPECT_EQ(got.received_at_ms, s.received_at_ms);
  EXPECT_EQ(got.manifest_json, s.manifest_json);
  EXPECT_EQ(got.state, AnchorState::kQueued);
  EXPECT_FALSE(got.transaction);
  EXPECT_FALSE(got.final_anchor);
  EXPECT_FALSE(store_->find("00000000-0000-4000-8000-000000000000").value());
}

TEST_P(ManifestStoreTest, BadSessionsAreRefusedBeforeAnythingIsStored) {
  NewSession s = make_session(1);
  s.node_key.clear();
  auto refused = store_->admit(s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(refused.error().message, "the session's node key is empty");
  s = make_session(1);
  s.chunk_count = -1;
  ASSERT_FALSE(store_->admit(s));
  EXPECT_EQ(store_->queue_depth().value().queued, 0);
}

TEST_P(ManifestStoreTest, AnAnchorGoesQueuedSentFinalAndNoOtherWay) {
  const NewSession s = make_session(7);
  ASSERT_EQ(store_->admit(s).value(), Admission::kStored);
  const FinalAnchor anchor{1234, "0xblock", 1'950'000'000'000};

  auto early = store_->record_final(s.session_id, anchor);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(early.error().message.find("is queued: no anchor transaction was stored"), std::string::npos);

  const AnchorTransaction tx = make_tx(3);
  ASSERT_TRUE(store_->record_transaction(s.session_id, tx));
  StoredSession sent = find(s.session_id);
  EXPECT_EQ(sent.state, AnchorState::kSent);
  ASSERT_TRUE(sent.transaction);
  EXPECT_EQ(sent.transaction->sender, tx.sender);
  EXPECT_EQ(sent.transaction->nonce, tx.nonce);
  EXPECT_EQ(sent.transaction->tx_hash, tx.tx_hash);
  EXPECT_EQ(sent.transaction->raw_tx, tx.raw_tx);
  EXPECT_EQ(sent.transaction->sent_at_ms, tx.sent_at_ms);

  auto twice = store_->record_transaction(s.session_id, make_tx(4));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(twice.error().message.find("is sent, not queued"), std::string::npos) << twice.error().message;
  EXPECT_EQ(find(s.session_id).transaction->nonce, 3);  // the stored transaction is the one resubmitted

  ASSERT_TRUE(store_->record_final(s.session_id, anchor));
  ASSERT_TRUE(store_->record_final(s.session_id, anchor));  // a repeated receipt poll
  const StoredSession final_session = find(s.session_id);
  EXPECT_EQ(final_session.state, AnchorState::kFinal);
  ASSERT_TRUE(final_session.final_anchor);
  EXPECT_EQ(final_session.final_anchor->height, 1234);
  EXPECT_EQ(final_session.final_anchor->block_hash, "0xblock");
  EXPECT_EQ(final_session.final_anchor->final_at_ms, anchor.final_at_ms);
  EXPECT_EQ(final_session.transaction->tx_hash, tx.tx_hash);

  auto moved = store_->record_final(s.session_id, FinalAnchor{1235, "0xother", 1});
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().message.find("is final in block 0xblock at height 1234"), std::string::npos);

  for (auto missing :
       {store_->record_transaction("no-such-id", make_tx(99)), store_->record_final("no-such-id", anchor)}) {
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  }
}

TEST_P(ManifestStoreTest, ANonceBelongsToOneSession) {
  ASSERT_EQ(store_->admit(make_session(1)).value(), Admission::kStored);
  ASSERT_EQ(store_->admit(make_session(2)).value(), Admission::kStored);
  EXPECT_FALSE(store_->highest_nonce("0xsender").value());
  ASSERT_TRUE(store_->record_transaction(make_session(1).session_id, make_tx(5)));
  auto taken = store_->record_transaction(make_session(2).session_id, make_tx(5));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_NE(taken.error().message.find(
                fmt::format("nonce 5 of sender 0xsender is already session {}", make_session(1).session_id)),
            std::string::npos)
      << taken.error().message;
  EXPECT_EQ(find(make_session(2).session_id).state, AnchorState::kQueued);
  // Another sender's nonce 5 is its own.
  ASSERT_TRUE(store_->record_transaction(make_session(2).session_id, make_tx(5, "0xsecond")));
  EXPECT_EQ(store_->highest_nonce("0xsender").value(), 5);
  EXPECT_EQ(store_->highest_nonce("0xsecond").value(), 5);
  EXPECT_FALSE(store_->highest_nonce("0xnobody").value());
}

TEST_P(ManifestStoreTest, AnchorWorkIsTheUnanchoredOldestReceivedFirst) {
  for (int n : {5, 3, 9, 1, 7}) ASSERT_EQ(store_->admit(make_session(n)).value(), Admission::kStored);
  ASSERT_TRUE(store_->record_transaction(make_session(3).session_id, make_tx(0)));
  ASSERT_TRUE(store_->record_transaction(make_session(1).session_id, make_tx(1)));
  ASSERT_TRUE(store_->record_final(make_session(1).session_id, FinalAnchor{10, "0xb", 1}));
  auto work = store_->anchor_work(10);
  ASSERT_TRUE(work) << work.error().message;
  std::vector<std::string> ids;
  for (const auto& s : *work) ids.push_back(s.session_id);
  EXPECT_EQ(ids, (std::vector<std::string>{make_session(3).session_id, make_session(5).session_id,
                                           make_session(7).session_id, make_session(9).session_id}));
  EXPECT_EQ(work->front().state, AnchorState::kSent);
  EXPECT_TRUE(work->front().manifest_json.empty());  // lists carry no manifest
  EXPECT_EQ(store_->anchor_work(2).value().size(), 2U);
  EXPECT_FALSE(store_->anchor_work(0));

  const QueueDepth depth = store_->queue_depth().value();
  EXPECT_EQ(depth.queued, 3);
  EXPECT_EQ(depth.sent, 1);
  EXPECT_EQ(depth.final, 1);
  EXPECT_EQ(depth.oldest_unanchored_received_at_ms, make_session(3).received_at_ms);
}

TEST_P(ManifestStoreTest, ListsPageWithoutGapsOrRepeatsUnderEveryFilter) {
  // 157 sessions over three nodes; every fourth shares its start time with the one before (ties are
  // ordered by id), some anchored.
  std::vector<NewSession> all;
  for (int n = 1; n <= 157; ++n) {
    const std::int64_t started = 1'700'000'000'000 + (n - (n % 4 == 0 ? 1 : 0)) * 1000;
    all.push_back(make_session(n, fmt::format("node-{}", n % 3), started));
    ASSERT_EQ(store_->admit(all.back()).value(), Admission::kStored);
    if (n % 5 == 0) {
      ASSERT_TRUE(store_->record_transaction(all.back().session_id, make_tx(n)));
    }
  }
  const auto expected = [&](const SessionFilter& f) {
    std::vector<const NewSession*> out;
    for (const auto& s : all) {
      if (f.node_key && s.node_key != *f.node_key) continue;
      if (f.started_from_ms && s.started_at_ms < *f.started_from_ms) continue;
      if (f.started_before_ms && s.started_at_ms >= *f.started_before_ms) continue;
      const int n = static_cast<int>(&s - all.data()) + 1;
      if (f.state && (*f.state == AnchorState::kSent) != (n % 5 == 0)) continue;
      out.push_back(&s);
    }
    std::sort(out.begin(), out.end(), [](const NewSession* a, const NewSession* b) {
      return std::tie(a->started_at_ms, a->session_id) > std::tie(b->started_at_ms, b->session_id);
    });
    std::vector<std::string> ids;
    for (const auto* s : out) ids.push_back(s->session_id);
    return ids;
  };
  std::vector<SessionFilter> filters(5);
  filters[1].node_key = "node-1";
  filters[2].started_from_ms = 1'700'000'000'000 + 40 * 1000;
  filters[2].started_before_ms = 1'700'000'000'000 + 120 * 1000;
  filters[3].state = AnchorState::kSent;
  filters[4].node_key = "node-2";
  filters[4].state = AnchorState::kQueued;
  filters[4].started_from_ms = 1'700'000'000'000 + 12 * 1000;
  for (std::size_t f = 0; f < filters.size(); ++f) {
    for (int limit : {1, 7, 50, 1000}) {
      SessionFilter filter = filters[f];
      filter.limit = limit;
      std::vector<std::string> seen;
      for (int pages = 0;; ++pages) {
        ASSERT_LT(pages, 200) << "the cursor does not advance";
        auto page = store_->list(filter);
        ASSERT_TRUE(page) << page.error().message;
        ASSERT_LE(page->sessions.size(), static_cast<std::size_t>(limit));
        for (const auto& s : page->sessions) seen.push_back(s.session_id);
        if (page->next_cursor.empty()) break;
        ASSERT_EQ(page->sessions.size(), static_cast<std::size_t>(limit));
        filter.cursor = page->next_cursor;
      }
      EXPECT_EQ(seen, expected(filters[f])) << "filter " << f << ", pages of " << limit;
    }
  }
}

TEST_P(ManifestStoreTest, ABadCursorOrPageSizeIsRefused) {
  ASSERT_EQ(store_->admit(make_session(1)).value(), Admission::kStored);
  for (const char* cursor : {"x", "12", "12.", ".id", "1e3.id", "99999999999999999999.id"}) {
    SessionFilter filter;
    filter.cursor = cursor;
    auto page = store_->list(filter);
    ASSERT_FALSE(page) << cursor;
    EXPECT_EQ(page.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(page.error().message.find("is not one this store gave"), std::string::npos);
  }
  for (int limit : {0, -1, ManifestStore::kMaxPageSize + 1}) {
    SessionFilter filter;
    filter.limit = limit;
    ASSERT_FALSE(store_->list(filter)) << limit;
  }
}

TEST_P(ManifestStoreTest, ReopeningKeepsTheDataAndANewerSchemaIsRefused) {
  ASSERT_EQ(store_->admit(make_session(1)).value(), Admission::kStored);
  store_.reset();
  auto again = ManifestStore::open(store_name_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->admit(make_session(1)).value(), Admission::kAlreadyStored);
  again->reset();

  auto db = sql::open(store_name_, "test");
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->execute("UPDATE lucid_schema SET version = 2 WHERE name = 'sessions.manifest_store'"));
  db->reset();
  auto newer = ManifestStore::open(store_name_);
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(
      newer.error().message.find("sessions.manifest_store schema is version 2, this program knows versions "
                                 "up to 1"),
      std::string::npos)
      << newer.error().message;
}

TEST_P(ManifestStoreTest, ReplicasRacingOnOneIdStoreItOnce) {
  // Four stores (four connections, as four replicas would have) submit the same ids at once: each id
  // is stored once; the others hear "already stored" (same manifest) or "conflict" (another).
  constexpr int kReplicas = 4;
  constexpr int kIds = 25;
  std::vector<std::unique_ptr<ManifestStore>> replicas;
  for (int r = 0; r < kReplicas; ++r) {
    auto opened = ManifestStore::open(store_name_);
    ASSERT_TRUE(opened) << opened.error().message;
    replicas.push_back(std::move(*opened));
  }
  std::atomic<int> stored{0}, already{0}, conflicts{0}, errors{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReplicas; ++r)
    threads.emplace_back([&, r] {
      for (int n = 0; n < kIds; ++n) {
        NewSession s = make_session(n);
        if (r % 2 == 1)
          s.manifest_hash = fmt::format("{:064x}", 5000 + n);  // replicas 1, 3: another manifest
        auto outcome = replicas[static_cast<std::size_t>(r)]->admit(s);
        if (!outcome)
          ++errors;
        else if (*outcome == Admission::kStored)
          ++stored;
        else if (*outcome == Admission::kAlreadyStored)
          ++already;
        else
          ++conflicts;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(stored.load(), kIds);
  EXPECT_EQ(already.load() + conflicts.load(), (kReplicas - 1) * kIds);
  EXPECT_EQ(conflicts.load(), 2 * kIds);  // each id: one of the two manifests wins; the two others lose
  EXPECT_EQ(store_->queue_depth().value().queued, kIds);
}

INSTANTIATE_TEST_SUITE_P(Engines, ManifestStoreTest,
                         ::testing::Values(sql::Engine::kSqlite, sql::Engine::kPostgres),
                         [](const auto& engine) { return std::string(sql::engine_name(engine.param)); });

}  // namespace
}  // namespace lucid::sessions
