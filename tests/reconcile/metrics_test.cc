// The reconciler's /metrics text and /status JSON, through the HTTP handler (no network, no engine).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/reconcile/metrics.h"
#include "testing/testing.h"

using namespace lucid;

namespace {

reconcile::WatchEvent event(const std::string& outcome, bool drift) {
  reconcile::WatchEvent ev;
  ev.pass = reconcile::PassReport{};
  ev.pass->outcome = reconcile::parse_pass_outcome(outcome).value();
  ev.took = std::chrono::milliseconds(1500);
  if (drift) ev.drift.push_back({"web", engine::DriftKind::kStopped, "abc", "", 0});
  return ev;
}

TEST(ReconcileMetrics, PrometheusTextAndStatusJson) {
  lucid::testing::ScratchDir dir;
  auto store = reconcile::StateStore::open(dir / "state.db");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->set_desired("c1", "bbb"));
  ASSERT_TRUE(store->set_applied("c1", "aaa", "plan", {{"web", "h"}}));
  ASSERT_TRUE(store->set_last_good("c1", "aaa", "plan"));
  ASSERT_TRUE(store->mark_bad("c1", "bbb", "web: unhealthy"));
  auto id = store->begin_attempt("c1", "bbb", reconcile::AttemptKind::kDeploy);
  ASSERT_TRUE(store->finish_attempt(*id, reconcile::PassOutcome::kRolledBack, {"web: unhealthy"}));
  id = store->begin_attempt("c1", "aaa", reconcile::AttemptKind::kDrift);
  ASSERT_TRUE(store->finish_attempt(*id, reconcile::PassOutcome::kCorrected, {"drift: web: stopped"}));

  reconcile::Metrics metrics;
  metrics.record(event("promoted", false));
  metrics.record(event("rolled-back", false));
  metrics.record(event("corrected", true));
  reconcile::WatchEvent failed;
  failed.error = "fetch: no such repository";
  metrics.record(failed);
  auto held = event("held", true);  // the newest pass: drift left in place
  held.budget_spent = true;
  metrics.record(held);

  engine::DockerClient nowhere((dir / "no-docker.sock").string());
  auto handler = reconcile::status_handler(metrics, *store, nowhere, "c1");
  http::Request get;
  get.method = "GET";
  get.target = "/metrics";
  auto m = handler(get);
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("lucid_reconcile_total{cluster=\"c1\",outcome=\"promoted\"} 1\n"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("lucid_reconcile_total{cluster=\"c1\",outcome=\"corrected\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("lucid_reconcile_total{cluster=\"c1\",outcome=\"held\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("lucid_restart_budget_spent{cluster=\"c1\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("lucid_reconcile_total{cluster=\"c1\",outcome=\"error\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("lucid_reconcile_duration_seconds_count{cluster=\"c1\"} 5\n"), std::string::npos);
  EXPECT_NE(m.body.find("lucid_reconcile_duration_seconds_sum{cluster=\"c1\"} 6\n"), std::string::npos);
  EXPECT_NE(m.body.find("lucid_drift_corrections_total{cluster=\"c1\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("lucid_rollbacks_total{cluster=\"c1\"} 1\n"), std::string::npos);
  EXPECT_EQ(m.body.find("lucid_last_success_timestamp_seconds{cluster=\"c1\"} 0\n"), std::string::npos);
  EXPECT_NE(m.body.find("lucid_last_success_timestamp_seconds{cluster=\"c1\"} "), std::string::npos);
  // HELP and TYPE once per family, however many series it has.
  std::size_t helps = 0;
  for (auto at = m.body.find("# HELP lucid_reconcile_total "); at != std::string::npos;
       at = m.body.find("# HELP lucid_reconcile_total ", at + 1))
    ++helps;
  EXPECT_EQ(helps, 1u) << m.body;

  get.target = "/status";
  auto s = handler(get);
  ASSERT_EQ(s.status, 200) << s.body;
  auto j = nlohmann::json::parse(s.body);
  EXPECT_EQ(j["desired"], "bbb");
  EXPECT_EQ(j["applied"], "aaa");
  EXPECT_EQ(j["last_good"], "aaa");
  EXPECT_EQ(j["bad_commits"], nlohmann::json::array({"bbb"}));
  EXPECT_TRUE(j.contains("engine_error"));
  ASSERT_EQ(j["attempts"].size(), 2u);
  EXPECT_EQ(j["attempts"][1]["reasons"][0], "web: unhealthy");
  ASSERT_EQ(j["drift_corrections"].size(), 1u);
  EXPECT_EQ(j["drift_corrections"][0]["outcome"], "corrected");
  EXPECT_EQ(j["drift_corrections"][0]["reasons"][0], "drift: web: stopped");

  get.target = "/other";
  EXPECT_EQ(handler(get).status, 404);
  get.method = "POST";
  get.target = "/status";
  EXPECT_EQ(handler(get).status, 405);
}

}  // namespace

namespace {

// Issue 12 item 1: the age of the newest fetched commit is a gauge, absent until a pass reported one.
TEST(ReconcileMetrics, NewestCommitAgeGauge) {
  reconcile::Metrics metrics;
  EXPECT_EQ(metrics.prometheus("c1").find("lucid_newest_commit_age_seconds"), std::string::npos);
  auto ev = event("unreachable", false);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  ev.pass->commit_time = now.count() - 3600;
  metrics.record(ev);
  const std::string text = metrics.prometheus("c1");
  auto at = text.find("lucid_newest_commit_age_seconds{cluster=\"c1\"} ");
  ASSERT_NE(at, std::string::npos) << text;
  long age =
      std::stol(text.substr(at + std::string("lucid_newest_commit_age_seconds{cluster=\"c1\"} ").size()));
  EXPECT_GE(age, 3600);
  EXPECT_LT(age, 3700);
  EXPECT_NE(text.find("# TYPE lucid_newest_commit_age_seconds gauge\n"), std::string::npos);
}

}  // namespace
