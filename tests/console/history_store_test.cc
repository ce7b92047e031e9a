// The console's history: one row per unchanged stretch of a site's reports, bounded in time, shared
// by two handles on one file (the console service and an operator's CLI).
#include "lucid/console/history_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "testing/testing.h"

namespace lucid::console {
namespace {

rollout::Observation report(std::int64_t at, const std::string& last_good, const std::string& reported) {
  return rollout::Observation{
      "a", at, true, "", {{"cluster", "a"}, {"last_good", last_good}, {"reported", reported}}};
}

std::int64_t rows(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM observations", -1, &s, nullptr);
  sqlite3_step(s);
  std::int64_t n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

TEST(HistoryStore, PollsOfAnUnchangedSiteExtendOneStretch) {
  testing::ScratchDir dir;
  auto store = HistoryStore::open(dir / "history.db");
  ASSERT_TRUE(store) << store.error().message;
  // 100 polls of the same state (only the site's clock moves), then a change, then unreachable.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(store->add(report(1000 + i, "c1", fmt::format("t{}", i))));
  ASSERT_TRUE(store->add(report(1100, "c2", "t100")));
  ASSERT_TRUE(store->add(rollout::Observation{"a", 1105, false, "connection refused", nullptr}));
  EXPECT_EQ(rows(dir / "history.db"), 3);
  auto h = store->history("a");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].first_seen, 1000);
  EXPECT_EQ((*h)[0].polled_at, 1099);
  EXPECT_EQ((*h)[0].status["reported"], "t0");  // the stretch's first answer; polled_at says when last seen
  EXPECT_EQ((*h)[1].status["last_good"], "c2");
  EXPECT_FALSE((*h)[2].reachable);
  EXPECT_EQ((*h)[2].error, "connection refused");
  // Only stretches seen at or after `since`.
  auto recent = store->history("a", 1100);
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->size(), 2u);
  auto latest = store->latest("a");
  ASSERT_TRUE(latest);
  EXPECT_FALSE(latest->reachable);
  auto none = store->latest("zzz");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->cluster.empty());
}

TEST(HistoryStore, OldStretchesArePrunedButTheNewestStays) {
  testing::ScratchDir dir;
  auto store = HistoryStore::open(dir / "history.db", std::chrono::seconds(60));
  ASSERT_TRUE(store);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->add(report(1000 + 30 * i, fmt::format("c{}", i), "t")));
  auto h = store->history("a");
  ASSERT_TRUE(h);
  // Stretches that ended more than 60 s before the newest poll (at 1270) are gone.
  for (const auto& o : *h) EXPECT_GE(o.polled_at, 1270 - 60);
  EXPECT_EQ(h->back().status["last_good"], "c9");
  EXPECT_LE(h->size(), 3u);
}

TEST(HistoryStore, TwoHandlesOnOneFileShareTheStretches) {
  testing::ScratchDir dir;
  auto console = HistoryStore::open(dir / "history.db");
  auto cli = HistoryStore::open(dir / "history.db");
  ASSERT_TRUE(console && cli);
  ASSERT_TRUE(console->add(report(1000, "c1", "t0")));
  ASSERT_TRUE(cli->add(report(1005, "c1", "t1")));  // the CLI's poll extends the console's stretch
  EXPECT_EQ(rows(dir / "history.db"), 1);
  auto h = console->history("a");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ(h->front().polled_at, 1005);
}

// The console's automatic pauses outlive the process: a reopened store still knows them, so a
// restarted console does not pause again a wave an operator resumed.
TEST(HistoryStore, AutomaticPausesAreRememberedAcrossAReopen) {
  testing::ScratchDir dir;
  {
    auto store = HistoryStore::open(dir / "history.db");
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_TRUE(store->automatic_pauses()->empty());
    ASSERT_TRUE(store->record_automatic_pause("edge@" + std::string(40, 'a'), 100));
    ASSERT_TRUE(store->record_automatic_pause("edge@" + std::string(40, 'a'), 200));  // once
  }
  auto reopened = HistoryStore::open(dir / "history.db");
  ASSERT_TRUE(reopened);
  auto keys = reopened->automatic_pauses();
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, std::set<std::string>{"edge@" + std::string(40, 'a')});
}

}  // namespace
}  // namespace lucid::console
