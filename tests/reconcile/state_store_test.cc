// The reconciler's SQLite state store: records round-trip, transactions are all-or-nothing, and a
// process killed with SIGKILL in the middle of a transaction leaves the last committed state.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lucid/reconcile/state_store.h"
#include "testing/testing.h"

using namespace lucid;
using lucid::reconcile::StateStore;

namespace {

StateStore open_store(const std::filesystem::path& file) {
  auto s = StateStore::open(file);
  EXPECT_TRUE(s) << s.error().message;
  return std::move(*s);
}

TEST(StateStore, RecordsRoundTrip) {
  lucid::testing::ScratchDir dir;
  {
    auto store = open_store(dir / "state.db");
    auto empty = store.cluster("c1");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->cluster, "c1");
    EXPECT_TRUE(empty->desired.empty());
    ASSERT_TRUE(store.set_desired("c1", "aaa"));
    ASSERT_TRUE(store.set_applied("c1", "aaa", "services: {}\n", {{"web", "h1"}, {"db", "h2"}}));
    ASSERT_TRUE(store.set_last_good("c1", "aaa", "services: {}\n"));
    auto id = store.begin_attempt("c1", "bbb", reconcile::AttemptKind::kDeploy);
    ASSERT_TRUE(id);
    ASSERT_TRUE(store.finish_attempt(*id, reconcile::PassOutcome::kRolledBack, {"web: unhealthy", "second"}));
    ASSERT_TRUE(store.mark_bad("c1", "bbb", "web: unhealthy"));
  }
  auto store = open_store(dir / "state.db");
  auto rec = store.cluster("c1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->desired, "aaa");
  EXPECT_EQ(rec->applied, "aaa");
  EXPECT_EQ(rec->last_good, "aaa");
  EXPECT_EQ(rec->applied_plan, "services: {}\n");
  EXPECT_EQ(rec->applied_hashes.at("web"), "h1");
  EXPECT_EQ(rec->applied_hashes.size(), 2u);
  auto attempts = store.attempts("c1");
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].commit, "bbb");
  EXPECT_EQ(to_string((*attempts)[0].outcome.value()), "rolled-back");
  EXPECT_EQ((*attempts)[0].reasons, (std::vector<std::string>{"web: unhealthy", "second"}));
  EXPECT_FALSE((*attempts)[0].finished.empty());
  EXPECT_TRUE(*store.is_bad("c1", "bbb"));
  EXPECT_FALSE(*store.is_bad("c1", "aaa"));
  EXPECT_FALSE(*store.is_bad("c2", "bbb"));
  ASSERT_TRUE(store.clear_bad("c1", "bbb"));
  EXPECT_FALSE(*store.is_bad("c1", "bbb"));
}

// Issue 11: the ref each cluster follows and when its last-good commit was promoted; a store made
// before waves (no tracked_ref column) is upgraded in place, its records kept.
TEST(StateStore, TrackedRefAndPromotionTimeAndAnOlderStoreUpgrades) {
  lucid::testing::ScratchDir dir;
  auto old = lucid::testing::run(
      {"sqlite3", (dir / "state.db").string(),
       "CREATE TABLE clusters (cluster TEXT PRIMARY KEY, desired TEXT NOT NULL DEFAULT '', applied TEXT NOT "
       "NULL "
       "DEFAULT '', last_good TEXT NOT NULL DEFAULT '', applied_plan TEXT NOT NULL DEFAULT '', "
       "applied_hashes TEXT "
       "NOT NULL DEFAULT '{}', last_good_plan TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL DEFAULT ''); "
       "INSERT INTO clusters(cluster, last_good) VALUES ('c1', 'aaa');"});
  if (old.exit_code != 0)
    GTEST_SKIP() << "the sqlite3 shell is not installed (scripts/bootstrap): " << old.err;
  auto store = open_store(dir / "state.db");
  auto rec = store.cluster("c1");
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(rec->last_good, "aaa");
  EXPECT_EQ(rec->tracked_ref, "");
  ASSERT_TRUE(store.set_desired("c1", "bbb", "refs/heads/wave/edge"));
  EXPECT_EQ(store.cluster("c1")->tracked_ref, "refs/heads/wave/edge");
  EXPECT_EQ(*store.promoted_at("c1", "bbb"), "");
  for (auto outcome : {reconcile::PassOutcome::kPromoted, reconcile::PassOutcome::kRolledBack}) {
    auto id = store.begin_attempt("c1", "bbb", reconcile::AttemptKind::kDeploy);
    ASSERT_TRUE(id);
    ASSERT_TRUE(store.finish_attempt(*id, outcome, {}));
  }
  // The promotion's end, not the later attempt's.
  auto attempts = store.attempts("c1");
  ASSERT_TRUE(attempts && attempts->size() == 2);
  EXPECT_EQ(*store.promoted_at("c1", "bbb"), (*attempts)[1].finished);
  EXPECT_FALSE(store.promoted_at("c1", "bbb")->empty());
  auto again = open_store(dir / "state.db");  // opening an upgraded store again changes nothing
  EXPECT_EQ(again.cluster("c1")->tracked_ref, "refs/heads/wave/edge");
}

TEST(StateStore, FailedTransactionRollsBack) {
  lucid::testing::ScratchDir dir;
  auto store = open_store(dir / "state.db");
  ASSERT_TRUE(store.set_desired("c1", "aaa"));
  auto s = store.transaction([&]() -> Status {
    if (auto r = store.set_desired("c1", "bbb"); !r) return r;
    if (auto r = store.set_applied("c1", "bbb", "x", {}); !r) return r;
    return fail(ErrorKind::kIo, "apply failed");
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "apply failed");
  auto rec = store.cluster("c1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->desired, "aaa");
  EXPECT_EQ(rec->applied, "");
  ASSERT_TRUE(store.transaction([&]() -> Status { return store.set_applied("c1", "ccc", "y", {}); }));
  EXPECT_EQ(store.cluster("c1")->applied, "ccc");
}

// A child opens the store, commits one state, then starts a transaction that changes every field,
// tells the parent and waits; the parent kills it with SIGKILL. Reopening shows the committed state
// whole and none of the uncommitted one, and the store accepts writes again.
TEST(StateStore, SigkillMidTransactionLeavesLastCommittedState) {
  lucid::testing::ScratchDir dir;
  const auto file = dir / "state.db";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    auto store = StateStore::open(file);
    if (!store) ::_exit(3);
    if (!store->transaction([&]() -> Status {
          if (auto r = store->set_desired("c1", "good"); !r) return r;
          if (auto r = store->set_applied("c1", "good", "plan-good", {{"web", "hg"}}); !r) return r;
          return store->set_last_good("c1", "good", "plan-good");
        }))
      ::_exit(4);
    (void)store->transaction([&]() -> Status {
      (void)store->set_desired("c1", "half");
      (void)store->set_applied("c1", "half", "plan-half", {{"web", "hh"}});
      for (int i = 0; i < 200; ++i) (void)store->begin_attempt("c1", "half", reconcile::AttemptKind::kDeploy);
      char c = 'x';
      if (::write(ready[1], &c, 1) != 1) ::_exit(5);
      for (;;) ::pause();  // killed here, inside the transaction
      return {};
    });
    ::_exit(6);
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1) << "the child did not reach the transaction";
  ::close(ready[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = open_store(file);
  auto rec = store.cluster("c1");
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(rec->desired, "good");
  EXPECT_EQ(rec->applied, "good");
  EXPECT_EQ(rec->last_good, "good");
  EXPECT_EQ(rec->applied_plan, "plan-good");
  EXPECT_EQ(rec->applied_hashes.at("web"), "hg");
  auto attempts = store.attempts("c1", 1000);
  ASSERT_TRUE(attempts);
  EXPECT_TRUE(attempts->empty());
  ASSERT_TRUE(store.set_desired("c1", "next"));
  EXPECT_EQ(store.cluster("c1")->desired, "next");
}

// Several reconcilers (one per cluster) opening one new state store at the same moment: each gets a
// usable store. (Seen on CI: "duplicate column name: tracked_ref" and "database is locked" when two
// processes made the schema at once.) Processes, as in production: SQLite's locks are per process.
TEST(StateStore, ConcurrentFirstOpensOfOneNewStoreAllSucceed) {
  lucid::testing::ScratchDir dir;
  constexpr int kRounds = 5;
  constexpr int kOpeners = 6;
  for (int round = 0; round < kRounds; ++round) {
    const auto file = dir / fmt::format("round{}", round) / "state.db";
    // The openers wait at a gate (a pipe's read end) and all start when the parent closes it.
    int gate[2];
    ASSERT_EQ(::pipe(gate), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < kOpeners; ++i) {
      pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(gate[1]);
        char byte = 0;
        (void)!::read(gate[0], &byte, 1);  // returns 0 when the parent closes its end
        auto store = StateStore::open(file);
        bool ok = store && store->set_desired(fmt::format("c{}", i), "aaa", "refs/heads/main").has_value();
        if (!store) std::fprintf(stderr, "opener %d: %s\n", i, store.error().message.c_str());
        ::_exit(ok ? 0 : 1);
      }
      children.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "round " << round << ": an opener failed (its error is above)";
    }
    auto store = open_store(file);
    auto ids = store.cluster_ids();
    ASSERT_TRUE(ids);
    EXPECT_EQ(ids->size(), static_cast<std::size_t>(kOpeners));
    EXPECT_EQ(store.cluster("c0")->tracked_ref, "refs/heads/main");
  }
}

// Issue 16: outcomes and attempt kinds are typed; their text forms are fixed (stored rows, JSON,
// metrics labels) and a row whose text the reconciler does not know is an error, not a guess.
TEST(PassOutcomes, TextFormsRoundTripAndUnknownTextIsRefused) {
  using reconcile::PassOutcome;
  const std::vector<std::pair<PassOutcome, std::string>> forms = {
      {PassOutcome::kUnchanged, "unchanged"},    {PassOutcome::kPromoted, "promoted"},
      {PassOutcome::kCorrected, "corrected"},    {PassOutcome::kHeld, "held"},
      {PassOutcome::kRolledBack, "rolled-back"}, {PassOutcome::kRefused, "refused"},
      {PassOutcome::kFailed, "failed"},          {PassOutcome::kSkippedBad, "skipped-bad"},
      {PassOutcome::kRepaired, "repaired"},      {PassOutcome::kUnreachable, "unreachable"}};
  for (const auto& [outcome, text] : forms) {
    EXPECT_EQ(reconcile::to_string(outcome), text);
    auto back = reconcile::parse_pass_outcome(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, outcome) << text;
  }
  for (const char* kind : {"deploy", "rollback", "drift"}) {
    auto k = reconcile::parse_attempt_kind(kind);
    ASSERT_TRUE(k) << kind;
    EXPECT_EQ(reconcile::to_string(*k), kind);
  }
  auto typo = reconcile::parse_pass_outcome("rolledback");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("'rolledback'"), std::string::npos) << typo.error().message;
  EXPECT_FALSE(reconcile::parse_attempt_kind("Deploy"));

  lucid::testing::ScratchDir dir;
  {
    auto store = open_store(dir / "state.db");
    auto id = store.begin_attempt("c1", "aaa", reconcile::AttemptKind::kDeploy);
    ASSERT_TRUE(id);
    ASSERT_TRUE(store.finish_attempt(*id, PassOutcome::kPromoted, {}));
  }
  auto edit = lucid::testing::run({"sqlite3", (dir / "state.db").string(),
                                   "UPDATE attempts SET outcome = 'promotd' WHERE cluster = 'c1';"});
  if (edit.exit_code != 0)
    GTEST_SKIP() << "the sqlite3 shell is not installed (scripts/bootstrap): " << edit.err;
  auto store = open_store(dir / "state.db");
  auto attempts = store.attempts("c1");
  ASSERT_FALSE(attempts) << "a stored outcome nobody wrote was read as something";
  EXPECT_EQ(attempts.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(attempts.error().message.find("'promotd'"), std::string::npos) << attempts.error().message;
}

}  // namespace
