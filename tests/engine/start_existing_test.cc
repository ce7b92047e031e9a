// Which drift the direct start (no Compose) may correct, and in which order it starts containers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/engine/start_existing.h"

using namespace lucid::engine;
using nlohmann::json;

namespace {

ContainerState container(const std::string& service, const std::string& id, const std::string& hash,
                         const std::string& state = "running", const std::string& health = "") {
  ContainerState c;
  c.service = service;
  c.id = id;
  c.config_hash = hash;
  c.state = state;
  c.health = health;
  return c;
}

// a, b, c with hashes ha, hb, hc and ids ia, ib, ic (the last apply's).
DesiredState three() {
  return {{{"a", "ha"}, {"b", "hb"}, {"c", "hc"}}, {"ia", "ib", "ic"}};
}

std::vector<std::string> order(const StartDecision& d) {
  std::vector<std::string> out;
  for (const auto& s : d.steps)
    out.push_back(s.service + ":" + to_string(s.action) + "@" + std::to_string(s.wave));
  return out;
}

}  // namespace

TEST(StartExisting, DependsOnOfBothForms) {
  json doc = {
      {"services",
       {{"web", {{"depends_on", {{"db", {{"condition", "service_healthy"}}}, {"cache", json::object()}}}}},
        {"worker", {{"depends_on", {"db"}}}},
        {"db", json::object()}}}};
  auto d = depends_on_of(doc);
  EXPECT_EQ(d.at("web").at("db"), "service_healthy");
  EXPECT_EQ(d.at("web").at("cache"), "service_started");
  EXPECT_EQ(d.at("worker").at("db"), "service_started");
  EXPECT_FALSE(d.contains("db"));
  EXPECT_TRUE(depends_on_of(json::array()).empty());
}

TEST(StartExisting, StoppedKilledOomAndUnhealthyQualifyWithTheirActions) {
  auto oom = container("c", "ic", "hc", "exited");
  oom.oom_killed = true;
  std::vector<ContainerState> now{container("a", "ia", "ha", "exited"),
                                  container("b", "ib", "hb", "running", "unhealthy"), oom};
  std::vector<Drift> seen{{"a", DriftKind::kKilled, "ia", "signal 15"}, {"a", DriftKind::kStopped, "ia", ""}};
  auto d = plan_start(three(), now, seen, {});
  ASSERT_TRUE(d.direct()) << d.compose_because;
  EXPECT_EQ(order(d), (std::vector<std::string>{"a:start@0", "b:restart@0", "c:start@0"}));
  EXPECT_EQ(d.steps[0].container_id, "ia");
}

TEST(StartExisting, PausedIsUnpausedCreatedIsStartedRunningIsLeft) {
  std::vector<ContainerState> now{container("a", "ia", "ha", "paused"), container("b", "ib", "hb", "created"),
                                  container("c", "ic", "hc", "running", "healthy")};
  auto d = plan_start(three(), now, {}, {});
  ASSERT_TRUE(d.direct()) << d.compose_because;
  EXPECT_EQ(order(d), (std::vector<std::string>{"a:unpause@0", "b:start@0"}));
}

TEST(StartExisting, NothingDriftedIsDirectWithNoSteps) {
  std::vector<ContainerState> now{container("a", "ia", "ha"), container("b", "ib", "hb"),
                                  container("c", "ic", "hc")};
  auto d = plan_start(three(), now, {{"a", DriftKind::kStopped, "ia", ""}}, {});
  EXPECT_TRUE(d.direct());
  EXPECT_TRUE(d.steps.empty());
}

TEST(StartExisting, EveryOtherDriftNeedsCompose) {
  const std::vector<ContainerState> healthy{container("a", "ia", "ha", "exited"), container("b", "ib", "hb"),
                                            container("c", "ic", "hc")};
  // From the snapshot: hash changed, removed, recreated (id not the last apply's), orphan, dead, two.
  auto changed = healthy;
  changed[1].config_hash = "other";
  auto removed = std::vector<ContainerState>{healthy[0], healthy[1]};
  auto recreated = healthy;
  recreated[2].id = "by-hand";
  auto orphan = healthy;
  orphan.push_back(container("z", "iz", "hz"));
  auto dead = healthy;
  dead[1].state = "dead";
  auto two = healthy;
  two.push_back(container("b", "ib", "hb"));
  for (const auto& [name, now, want] :
       std::vector<std::tuple<std::string, std::vector<ContainerState>, std::string>>{
           {"changed", changed, "b: changed"},
           {"removed", removed, "c: removed"},
           {"recreated", recreated, "c: recreated"},
           {"orphan", orphan, "z: orphan"},
           {"dead", dead, "b: container ib is dead"},
           {"two", two, "b: 2 containers"}}) {
    auto d = plan_start(three(), now, {}, {});
    EXPECT_FALSE(d.direct()) << name;
    EXPECT_TRUE(d.steps.empty()) << name;
    EXPECT_TRUE(d.compose_because.starts_with(want)) << name << ": " << d.compose_because;
  }
  // From the watch only (the snapshot no longer shows it): a container removed and recreated.
  for (auto kind : {DriftKind::kRemoved, DriftKind::kRecreated, DriftKind::kChanged, DriftKind::kOrphan}) {
    auto d = plan_start(three(), healthy, {{"b", kind, "ib", ""}}, {});
    EXPECT_FALSE(d.direct()) << to_string(kind);
    EXPECT_EQ(d.compose_because, std::string("b: ") + to_string(kind));
  }
}

TEST(StartExisting, UnknownContainerIdsNeedCompose) {
  DesiredState no_ids = three();
  no_ids.known_ids.clear();
  auto d = plan_start(
      no_ids, {container("a", "ia", "ha", "exited"), container("b", "ib", "hb"), container("c", "ic", "hc")},
      {}, {});
  EXPECT_FALSE(d.direct());
  EXPECT_NE(d.compose_because.find("not known"), std::string::npos) << d.compose_because;
}

TEST(StartExisting, DependenciesStartFirstAndHealthyConditionsAreAwaited) {
  // c depends on b (healthy), b on a (started); all three stopped: waves a, b, c.
  DependsOn deps{{"c", {{"b", "service_healthy"}}}, {"b", {{"a", "service_started"}}}};
  std::vector<ContainerState> now{container("a", "ia", "ha", "exited"), container("b", "ib", "hb", "exited"),
                                  container("c", "ic", "hc", "exited")};
  auto d = plan_start(three(), now, {}, deps);
  ASSERT_TRUE(d.direct()) << d.compose_because;
  EXPECT_EQ(order(d), (std::vector<std::string>{"a:start@0", "b:start@1", "c:start@2"}));
  EXPECT_TRUE(d.steps[1].await_healthy.empty());  // service_started: order only
  EXPECT_EQ(d.steps[2].await_healthy, (std::vector<std::string>{"b"}));

  // b running: a and c have no stopped dependency between them, so both start at once.
  now[1].state = "running";
  d = plan_start(three(), now, {}, deps);
  ASSERT_TRUE(d.direct());
  EXPECT_EQ(order(d), (std::vector<std::string>{"a:start@0", "c:start@0"}));
  EXPECT_TRUE(d.steps[1].await_healthy.empty());
}

TEST(StartExisting, DependsOnCycleNeedsCompose) {
  DependsOn deps{{"a", {{"b", "service_started"}}}, {"b", {{"a", "service_started"}}}};
  std::vector<ContainerState> now{container("a", "ia", "ha", "exited"), container("b", "ib", "hb", "exited"),
                                  container("c", "ic", "hc")};
  auto d = plan_start(three(), now, {}, deps);
  EXPECT_FALSE(d.direct());
  EXPECT_NE(d.compose_because.find("depends_on cycle"), std::string::npos) << d.compose_because;
}
