// Gate judgements from site reports. The reports here are hand-made status objects in the form the
// reconciler's /status serves (docs/console.md); the end-to-end suite judges real sites.
#include "lucid/rollout/gates.h"

#include <gtest/gtest.h>

#include "lucid/base/time.h"

namespace lucid::rollout {
namespace {

constexpr std::int64_t kNow = 1800000000;
const std::string kC1(40, 'a'), kC2(40, 'b');

WaveDefinition wave(std::vector<std::string> gates = {"healthchecks"}) {
  WaveDefinition w;
  w.name = "canary";
  w.ref = "refs/heads/wave/canary";
  w.gates = std::move(gates);
  w.soak = std::chrono::seconds(60);
  w.stale_after = std::chrono::seconds(30);
  return w;
}

nlohmann::json status(const std::string& last_good, std::int64_t since, bool healthy = true) {
  return {{"cluster", "a"},
          {"desired", last_good},
          {"applied", last_good},
          {"last_good", last_good},
          {"last_good_since", rfc3339(since)},
          {"bad_commits", nlohmann::json::array()},
          {"services",
           {{{"service", "web"},
             {"state", "running"},
             {"health", healthy ? "healthy" : "unhealthy"},
             {"config_current", true}},
            {{"service", "worker"}, {"state", "running"}, {"health", ""}, {"config_current", true}}}},
          {"attempts", nlohmann::json::array()},
          {"drift_corrections", nlohmann::json::array()}};
}

Observation seen(std::int64_t at, nlohmann::json s) {
  return Observation{"a", at, true, "", std::move(s)};
}

GateResult one(const WaveDefinition& w, const std::string& commit, const std::vector<Observation>& h,
               const std::vector<GateWaiver>& waivers = {}) {
  auto r = evaluate_gates(w, "a", commit, h, waivers, kNow);
  EXPECT_EQ(r.size(), w.gates.size());
  return r.empty() ? GateResult{} : r.front();
}

TEST(Gates, HealthchecksHoldOnlyAfterTheSoakOfThatCommit) {
  auto held = one(wave(), kC1, {seen(kNow - 5, status(kC1, kNow - 61))});
  EXPECT_EQ(held.state, GateState::kHolds) << held.reason;
  EXPECT_EQ(held.evidence["held_seconds"], 61);

  auto soaking = one(wave(), kC1, {seen(kNow - 5, status(kC1, kNow - 20))});
  EXPECT_EQ(soaking.state, GateState::kSoaking);
  EXPECT_NE(soaking.reason.find("20 s of the 60 s soak"), std::string::npos) << soaking.reason;

  // Healthy, but on the old commit: the gate is judged for the commit asked about, never the old one.
  auto pending = one(wave(), kC2, {seen(kNow - 5, status(kC1, kNow - 600))});
  EXPECT_EQ(pending.state, GateState::kPending);
  EXPECT_FALSE(passes(pending.state));
}

TEST(Gates, UnhealthyOrRolledBackFailsWithTheReason) {
  auto sick = one(wave(), kC1, {seen(kNow - 5, status(kC1, kNow - 600, false))});
  EXPECT_EQ(sick.state, GateState::kFails);
  EXPECT_NE(sick.reason.find("web unhealthy"), std::string::npos) << sick.reason;

  auto s = status(kC1, kNow - 600);
  s["desired"] = kC2;
  s["bad_commits"] = {kC2};
  s["attempts"] = {
      {{"commit", kC2}, {"kind", "deploy"}, {"outcome", "rolled-back"}, {"reasons", {"web: unhealthy"}}}};
  auto bad = one(wave(), kC2, {seen(kNow - 5, s)});
  EXPECT_EQ(bad.state, GateState::kFails);
  EXPECT_NE(bad.reason.find("marked bad"), std::string::npos) << bad.reason;
  EXPECT_NE(bad.reason.find("rolled-back: web: unhealthy"), std::string::npos) << bad.reason;
}

TEST(Gates, DriftOrAnUnhealthyReportRestartsTheSoak) {
  auto s = status(kC1, kNow - 600);
  s["drift_corrections"] = {{{"started", rfc3339(kNow - 12)}, {"finished", rfc3339(kNow - 10)}}};
  auto drifted = one(wave(), kC1, {seen(kNow - 5, s)});
  EXPECT_EQ(drifted.state, GateState::kSoaking) << drifted.reason;
  EXPECT_EQ(drifted.evidence["held_seconds"], 10);

  // The site says healthy since long ago, but the console saw it unhealthy 20 s ago.
  auto watched =
      one(wave(), kC1,
          {seen(kNow - 20, status(kC1, kNow - 600, false)), seen(kNow - 5, status(kC1, kNow - 600))});
  EXPECT_EQ(watched.state, GateState::kSoaking) << watched.reason;
}

TEST(Gates, AStaleSiteBlocksEveryGateWithTheReason) {
  std::vector<Observation> h = {seen(kNow - 100, status(kC1, kNow - 600)),
                                Observation{"a", kNow - 2, false, "connection refused", nullptr}};
  auto r = evaluate_gates(wave({"healthchecks", "anchor-latency"}), "a", kC1, h, {}, kNow);
  ASSERT_EQ(r.size(), 2u);
  for (const auto& g : r) {
    EXPECT_EQ(g.state, GateState::kStale);
    EXPECT_NE(g.reason.find("no report for 100 s"), std::string::npos) << g.reason;
    EXPECT_NE(g.reason.find("connection refused"), std::string::npos) << g.reason;
  }
  EXPECT_EQ(one(wave(), kC1, {}).state, GateState::kStale);
}

TEST(Gates, NoDataBlocksUnlessAnUnexpiredWaiverNamesTheWaveAndGate) {
  auto w = wave({"anchor-latency"});
  std::vector<Observation> h = {seen(kNow - 5, status(kC1, kNow - 600))};
  EXPECT_EQ(one(w, kC1, h).state, GateState::kNoData);
  GateWaiver waiver{"canary", "anchor-latency", "no sessions service on this site yet", "2099-01-01"};
  auto waived = one(w, kC1, h, {waiver});
  EXPECT_EQ(waived.state, GateState::kWaived);
  EXPECT_TRUE(passes(waived.state));
  EXPECT_EQ(waived.evidence["waiver"]["reason"], waiver.reason);
  waiver.expires = "2020-01-01";
  EXPECT_EQ(one(w, kC1, h, {waiver}).state, GateState::kNoData);
  waiver.expires = "2099-01-01";
  waiver.wave = "edge";
  EXPECT_EQ(one(w, kC1, h, {waiver}).state, GateState::kNoData);
}

TEST(Gates, AnchorLatencyHoldsWithinTheBudgetForTheSoakAndFailsAboveIt) {
  auto w = wave({"anchor-latency"});
  auto with_p95 = [](const std::string& commit, double p95) {
    auto s = status(commit, kNow - 600);
    s["anchor_latency_p95_seconds"] = p95;
    return s;
  };
  // No budget: nothing to compare with, which blocks like any missing data.
  auto unbudgeted = one(w, kC1, {seen(kNow - 5, with_p95(kC1, 0.4))});
  EXPECT_EQ(unbudgeted.state, GateState::kNoData);
  EXPECT_NE(unbudgeted.reason.find("anchor_latency_budget"), std::string::npos) << unbudgeted.reason;

  w.anchor_latency_budget = std::chrono::milliseconds(2000);
  Observation early = seen(kNow - 5, with_p95(kC1, 0.4));
  early.first_seen = kNow - 100;  // within budget since 100 s, the soak is 60 s
  auto held = one(w, kC1, {early});
  EXPECT_EQ(held.state, GateState::kHolds) << held.reason;
  EXPECT_EQ(held.evidence["budget_seconds"], 2.0);

  Observation over_before = seen(kNow - 40, with_p95(kC1, 3.5));
  over_before.first_seen = kNow - 100;
  auto soaking = one(w, kC1, {over_before, seen(kNow - 5, with_p95(kC1, 0.4))});
  EXPECT_EQ(soaking.state, GateState::kSoaking) << soaking.reason;  // back within budget only 5 s ago

  auto over = one(w, kC1, {seen(kNow - 5, with_p95(kC1, 2.5))});
  EXPECT_EQ(over.state, GateState::kFails);
  EXPECT_NE(over.reason.find("over the budget"), std::string::npos) << over.reason;

  auto other_commit = one(w, kC1, {seen(kNow - 5, with_p95(kC2, 0.1))});
  EXPECT_EQ(other_commit.state, GateState::kPending) << other_commit.reason;
}

TEST(Gates, AcceptanceBackedGatesNeedResultsForTheCommit) {
  auto w = wave({"beta-onions-per-plane"});
  auto s = status(kC1, kNow - 600);
  EXPECT_EQ(one(w, kC1, {seen(kNow - 5, s)}).state, GateState::kNoData);
  s["acceptance"] = {
      {"commit", kC1},
      {"finished", rfc3339(kNow - 30)},
      {"checks",
       {{{"id", "cluster.beta-onions"}, {"result", "pass"}, {"evidence", "ops, chain: 2 onions"}}}}};
  EXPECT_EQ(one(w, kC1, {seen(kNow - 5, s)}).state, GateState::kHolds);
  EXPECT_EQ(one(w, kC2, {seen(kNow - 5, s)}).state, GateState::kPending);
  s["acceptance"]["checks"][0]["result"] = "fail";
  EXPECT_EQ(one(w, kC1, {seen(kNow - 5, s)}).state, GateState::kFails);
  s["acceptance"]["checks"][0]["result"] = "not-implemented";
  EXPECT_EQ(one(w, kC1, {seen(kNow - 5, s)}).state, GateState::kNoData);
}

}  // namespace
}  // namespace lucid::rollout
