// The wave actions against a real bare remote (git) with SSH-signed commits (ssh-keygen). Site
// reports are given as observations here; tests/rollout/fleet_e2e_test.cc has real sites.
#include "lucid/rollout/waves.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "gitsig/ssh_tools.h"
#include "lucid/base/time.h"
#include "reconcile/signed_config_repo.h"
#include "testing/testing.h"

namespace lucid::rollout {
namespace {

namespace tt = gitsig::testing_tools;

constexpr const char* kClusters = R"(version: 1
waves:
  - name: canary
    ref: refs/heads/wave/canary
    gates: [healthchecks]
    soak: 5s
    stale_after: 60s
  - name: edge
    ref: refs/heads/wave/edge
    gates: [healthchecks]
clusters:
  - id: a
    wave: canary
    profiles: [node]
  - id: b
    wave: edge
    profiles: [node]
)";

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json site(const std::string& last_good, std::int64_t since, const std::string& bad = {}) {
  nlohmann::json s = {
      {"cluster", "a"},
      {"desired", bad.empty() ? last_good : bad},
      {"applied", last_good},
      {"last_good", last_good},
      {"last_good_since", rfc3339(since)},
      {"bad_commits", nlohmann::json::array()},
      {"services",
       {{{"service", "web"}, {"state", "running"}, {"health", "healthy"}, {"config_current", true}}}},
      {"attempts", nlohmann::json::array()},
      {"drift_corrections", nlohmann::json::array()}};
  if (!bad.empty()) {
    s["bad_commits"] = {bad};
    s["attempts"] = {
        {{"commit", bad}, {"kind", "deploy"}, {"outcome", "rolled-back"}, {"reasons", {"web: unhealthy"}}}};
  }
  return s;
}

class Waves : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = tt::missing_tools(); !why.empty()) GTEST_SKIP() << why;
    // The console's commits need an identity; git reads it from the environment it is given.
    ::setenv("GIT_AUTHOR_NAME", "Lucid console test", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "ops@lucid", 1);
    ::setenv("GIT_COMMITTER_NAME", "Lucid console test", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "ops@lucid", 1);
    repo_.emplace(scratch_.path());
    first_ = repo_->push({{"clusters/clusters.yaml", kClusters}, {"app.txt", "one\n"}}, "first");
    auto opened = ConfigRepo::open(repo_->url(), scratch_.path() / "console" / "repo.git");
    ASSERT_TRUE(opened) << opened.error().message;
    console_.emplace(std::move(*opened));
    history_ = [this](const std::string& cluster) { return seen_[cluster]; };
  }

  std::string remote_ref(const std::string& ref) {
    auto r = tt::git_try(repo_->remote, {"rev-parse", "--verify", "--quiet", ref});
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  ActionResult promote_ok(const std::string& wave, std::optional<std::string> commit = {}) {
    EXPECT_TRUE(console_->fetch());
    auto r = promote(*console_, history_, {wave, std::move(commit), false, "tester"}, now());
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ActionResult{};
  }

  testing::ScratchDir scratch_;
  std::optional<testing::SignedConfigRepo> repo_;
  std::optional<ConfigRepo> console_;
  std::map<std::string, std::vector<Observation>> seen_;
  History history_;
  std::string first_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST_F(Waves, PromotionMovesAWaveOnlyWhenThePreviousWavesGatesHoldForTheCommit) {
  auto canary = promote_ok("canary");  // the first wave takes the default branch
  EXPECT_TRUE(canary.done) << joined(canary.refusals);
  EXPECT_EQ(remote_ref("refs/heads/wave/canary"), first_);

  auto blocked = promote_ok("edge");  // nothing reported by canary's site
  EXPECT_FALSE(blocked.done);
  ASSERT_EQ(blocked.refusals.size(), 1u);
  EXPECT_NE(blocked.refusals[0].find("gate healthchecks on a (canary): stale"), std::string::npos)
      << blocked.refusals[0];
  EXPECT_EQ(remote_ref("refs/heads/wave/edge"), "");

  seen_["a"] = {Observation{"a", now() - 1, true, "", site(first_, now() - 2)}};  // healthy, not soaked
  auto soaking = promote_ok("edge");
  ASSERT_FALSE(soaking.refusals.empty());
  EXPECT_NE(soaking.refusals[0].find("soaking"), std::string::npos) << soaking.refusals[0];

  seen_["a"] = {Observation{"a", now() - 1, true, "", site(first_, now() - 30)}};
  auto dry = promote(*console_, history_, {"edge", std::nullopt, true, "tester"}, now());
  ASSERT_TRUE(dry);
  EXPECT_FALSE(dry->done);
  EXPECT_TRUE(dry->refusals.empty()) << joined(dry->refusals);
  EXPECT_EQ(remote_ref("refs/heads/wave/edge"), "");
  auto edge = promote_ok("edge");
  EXPECT_TRUE(edge.done) << joined(edge.refusals);
  EXPECT_EQ(remote_ref("refs/heads/wave/edge"), first_);

  // A second commit that the canary site rolled back: edge refuses it, naming gate and site.
  std::string second = repo_->push({{"app.txt", "two\n"}}, "second");
  EXPECT_TRUE(promote_ok("canary").done);
  seen_["a"] = {Observation{"a", now() - 1, true, "", site(first_, now() - 30, second)}};
  auto refused = promote_ok("edge");
  EXPECT_FALSE(refused.done);
  ASSERT_FALSE(refused.refusals.empty());
  EXPECT_NE(refused.refusals[0].find("gate healthchecks on a (canary): fails"), std::string::npos)
      << refused.refusals[0];
  EXPECT_NE(refused.refusals[0].find("marked bad"), std::string::npos) << refused.refusals[0];
  EXPECT_EQ(remote_ref("refs/heads/wave/edge"), first_);
}

TEST_F(Waves, ARefOnlyMovesForward) {
  EXPECT_TRUE(promote_ok("canary").done);
  // A commit beside the wave's history (a rewritten main): promoting it would rewind the wave.
  tt::git(repo_->work, {"checkout", "-q", "--orphan", "other"});
  std::string side =
      repo_->push({{"clusters/clusters.yaml", kClusters}, {"app.txt", "side\n"}}, "side", true, "side");
  auto r = promote_ok("canary", side);
  EXPECT_FALSE(r.done);
  ASSERT_EQ(r.refusals.size(), 1u);
  EXPECT_NE(r.refusals[0].find("not a fast-forward"), std::string::npos) << r.refusals[0];
  EXPECT_EQ(remote_ref("refs/heads/wave/canary"), first_);
}

TEST_F(Waves, APausedWaveIsNeverPromotedAndThePauseLivesInTheRepo) {
  EXPECT_TRUE(promote_ok("canary").done);
  seen_["a"] = {Observation{"a", now() - 1, true, "", site(first_, now() - 30)}};
  auto paused = pause(*console_, "edge", "holiday freeze", "tester", {}, now());
  ASSERT_TRUE(paused) << paused.error().message;
  EXPECT_TRUE(paused->done);
  EXPECT_NE(remote_ref("refs/tags/lucid/paused/edge"), "");
  // Another console (a fresh clone) sees the pause: the state is in Git, not in a process.
  auto other = ConfigRepo::open(repo_->url(), scratch_.path() / "other-console" / "repo.git");
  ASSERT_TRUE(other);
  auto p = other->pause_of("edge");
  ASSERT_TRUE(p && *p);
  EXPECT_NE((*p)->message.find("paused by tester"), std::string::npos) << (*p)->message;
  EXPECT_NE((*p)->message.find("holiday freeze"), std::string::npos);

  auto r = promote_ok("edge");
  EXPECT_FALSE(r.done);
  ASSERT_EQ(r.refusals.size(), 1u);
  EXPECT_NE(r.refusals[0].find("wave edge is paused"), std::string::npos) << r.refusals[0];
  auto again = pause(*console_, "edge", "twice", "tester", {}, now());
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->done);

  auto resumed = resume(*console_, "edge");
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_TRUE(resumed->done);
  EXPECT_EQ(remote_ref("refs/tags/lucid/paused/edge"), "");
  EXPECT_TRUE(promote_ok("edge").done);
}

TEST_F(Waves, RollbackIsASignedCommitOfTheOldContentOnTopOfTheWave) {
  EXPECT_TRUE(promote_ok("canary").done);
  std::string second = repo_->push({{"app.txt", "two\n"}}, "second");
  EXPECT_TRUE(promote_ok("canary").done);
  // The site rolled the second commit back: it runs the first, which is the rollback's target.
  seen_["a"] = {Observation{"a", now() - 1, true, "", site(first_, now() - 30, second)}};
  testing::SignedConfigRepo& r = *repo_;

  auto dry = rollback(*console_, history_,
                      {"canary", std::nullopt, true, "tester", {r.key.private_key.string()}}, now());
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_FALSE(dry->done);
  EXPECT_NE(dry->detail.find("-two"), std::string::npos) << dry->detail;
  EXPECT_NE(dry->detail.find("+one"), std::string::npos) << dry->detail;
  EXPECT_EQ(remote_ref("refs/heads/wave/canary"), second);

  auto done = rollback(*console_, history_,
                       {"canary", std::nullopt, false, "tester", {r.key.private_key.string()}}, now());
  ASSERT_TRUE(done) << done.error().message;
  ASSERT_TRUE(done->done) << joined(done->refusals);
  const std::string revert = remote_ref("refs/heads/wave/canary");
  EXPECT_EQ(revert, done->to);
  EXPECT_EQ(remote_ref(revert + "^"), second);                                // descends: rolls forward
  EXPECT_EQ(remote_ref(revert + "^{tree}"), remote_ref(first_ + "^{tree}"));  // the old content
  auto verified = tt::git_try(
      r.remote, {"-c", "gpg.ssh.allowedSignersFile=" + r.allowed_signers.string(), "verify-commit", revert});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;

  // Nothing left to roll back to the same content.
  seen_["a"] = {Observation{"a", now() - 1, true, "", site(first_, now() - 30)}};
  auto none =
      rollback(*console_, history_, {"canary", first_, false, "tester", {r.key.private_key.string()}}, now());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->done);
  ASSERT_EQ(none->refusals.size(), 1u);
  EXPECT_NE(none->refusals[0].find("nothing to roll back"), std::string::npos) << none->refusals[0];
}

TEST_F(Waves, AGateFailingAfterPromotionPausesTheNextWaveOnce) {
  EXPECT_TRUE(promote_ok("canary").done);
  std::string second = repo_->push({{"app.txt", "two\n"}}, "second");
  EXPECT_TRUE(promote_ok("canary").done);
  seen_["a"] = {Observation{"a", now() - 1, true, "", site(first_, now() - 30, second)}};
  ASSERT_TRUE(console_->fetch());
  auto view = fleet_view(*console_, history_, now());
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_FALSE(view->waves[0].gates_pass);
  std::set<std::string> done;
  auto paused = pause_after_failures(*console_, *view, {}, now(), done);
  ASSERT_TRUE(paused) << paused.error().message;
  ASSERT_EQ(paused->size(), 1u);
  EXPECT_EQ(paused->front(), "edge");
  auto tag = console_->pause_of("edge");
  ASSERT_TRUE(tag && *tag);
  EXPECT_NE((*tag)->message.find("gate healthchecks failed on a"), std::string::npos) << (*tag)->message;

  // The operator resumes; the same failure does not pause it again.
  ASSERT_TRUE(resume(*console_, "edge"));
  view = fleet_view(*console_, history_, now());
  ASSERT_TRUE(view);
  auto again = pause_after_failures(*console_, *view, {}, now(), done);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
}

}  // namespace
}  // namespace lucid::rollout
