#include "lucid/rollout/fleet_definition.h"

#include <gtest/gtest.h>

namespace lucid::rollout {
namespace {

constexpr const char* kClusters = R"(version: 1
waves:
  - name: canary
    ref: wave/canary
    gates: [healthchecks]
    soak: 90s
    stale_after: 2m
    anchor_latency_budget: 1500ms
  - name: edge
    ref: refs/heads/wave/edge
    gates: [healthchecks, beta-onions-per-plane]
clusters:
  - id: a
    wave: canary
    profiles: [node]
    status: http://127.0.0.1:9464/status
  - id: b
    wave: edge
    profiles: [node]
)";

TEST(FleetDefinition, ReadsWavesInOrderWithSoakStaleAndFullRefs) {
  auto f = parse_fleet(kClusters, "");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->waves.size(), 2u);
  EXPECT_EQ(f->waves[0].ref, "refs/heads/wave/canary");
  EXPECT_EQ(f->waves[0].soak.count(), 90);
  EXPECT_EQ(f->waves[0].stale_after.count(), 120);
  EXPECT_EQ(f->waves[1].soak, kDefaultSoak);
  EXPECT_EQ(f->waves[0].anchor_latency_budget, std::chrono::milliseconds(1500));
  EXPECT_FALSE(f->waves[1].anchor_latency_budget);
  EXPECT_EQ(f->previous_wave("edge")->name, "canary");
  EXPECT_EQ(f->previous_wave("canary"), nullptr);
  EXPECT_EQ(f->next_wave("canary")->name, "edge");
  ASSERT_EQ(f->clusters_of("canary").size(), 1u);
  EXPECT_EQ(f->clusters_of("canary")[0]->status_url, "http://127.0.0.1:9464/status");
  EXPECT_EQ(*wave_ref_of(kClusters, "b"), "refs/heads/wave/edge");
}

TEST(FleetDefinition, BadInputIsNamedWithFileAndLine) {
  std::string bad_soak = kClusters;
  bad_soak.replace(bad_soak.find("90s"), 3, "soon");
  auto f = parse_fleet(bad_soak, "");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("clusters/clusters.yaml:6:11:"), std::string::npos) << f.error().message;
  EXPECT_NE(f.error().message.find("soak"), std::string::npos);

  std::string bad_budget = kClusters;
  bad_budget.replace(bad_budget.find("1500ms"), 6, "-1s");
  f = parse_fleet(bad_budget, "");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("anchor_latency_budget"), std::string::npos) << f.error().message;

  std::string unknown_wave = kClusters;
  unknown_wave.replace(unknown_wave.rfind("wave: edge"), 10, "wave: edgy");
  f = parse_fleet(unknown_wave, "");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("`edgy`"), std::string::npos) << f.error().message;

  auto none = wave_ref_of(kClusters, "zzz");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no cluster `zzz`"), std::string::npos);
}

TEST(FleetDefinition, GateWaiversNeedReasonAndDateAndExpire) {
  auto f = parse_fleet(kClusters, R"(waivers: []
gates:
  - wave: edge
    gate: beta-onions-per-plane
    reason: beta's onion report is not in the site status yet
    expires: 2027-01-31
)");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->waivers.size(), 1u);
  const std::int64_t jan_31_2027_noon = 1801396800;  // 2027-01-31T12:00:00Z
  EXPECT_TRUE(f->waivers[0].active(jan_31_2027_noon));
  EXPECT_FALSE(f->waivers[0].active(jan_31_2027_noon + 86400));

  auto bad =
      parse_fleet(kClusters, "gates:\n  - wave: edge\n    gate: x\n    reason: r\n    expires: soon\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("policies/waivers.yaml:2:"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace lucid::rollout
