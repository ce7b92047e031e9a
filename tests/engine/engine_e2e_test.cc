// The engine module against the real Docker engine and docker-compose (issue 6 groundwork): apply
// creates services, a no-op apply touches nothing, health waits are event-driven, orphans go, and
// docker stop / rm -f / a hand recreation with changed env are each reported as drift (timed).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/engine/compose_apply.h"
#include "lucid/engine/containers.h"
#include "lucid/engine/docker_client.h"
#include "lucid/engine/drift.h"
#include "lucid/engine/health.h"
#include "lucid/engine/labels.h"
#include "lucid/engine/start_existing.h"
#include "lucid/render/plan.h"
#include "testing/docker.h"

using namespace lucid;
using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace lt = lucid::testing;

namespace {

engine::HealthOptions within(std::chrono::milliseconds limit) {
  engine::HealthOptions o;
  o.timeout = limit;
  return o;
}

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// One Compose project and one test image per test, all named after a unique prefix; removed at exit.
class EngineE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = lt::ensure_docker();
    if (!why.empty()) GTEST_SKIP() << "no Docker engine: " << why;
    auto tool = engine::find_compose();
    if (!tool) GTEST_SKIP() << tool.error().message << " (run scripts/bootstrap)";
    prefix_ = "lucidengine" + std::to_string(::getpid());
    image_ = prefix_ + ":test";
    why = lt::build_busybox_image(image_, {}, "LABEL com.lucid.test=" + prefix_ + "\n");
    if (!why.empty()) GTEST_SKIP() << why;
    built_ = true;
    project_ = engine::project_name(prefix_);
    ASSERT_TRUE(docker_.negotiate());
  }

  void TearDown() override {
    if (project_.empty()) return;
    engine::ApplyOptions o;
    o.timeout = 60s;
    (void)engine::down(project_, o);
    lt::remove_project_containers(project_);
    if (built_) lt::docker({"rmi", "-f", image_});
  }

  // A service that sleeps; `health`: "" none, "ok" always healthy, "fail" never healthy.
  json service(const std::string& health, const std::string& env = "1") const {
    json s = {{"image", image_}, {"stop_grace_period", "1s"}, {"environment", {{"LUCID_TEST_ENV", env}}}};
    if (health == "ok")
      s["healthcheck"] = {
          {"test", {"CMD", "/bin/busybox", "true"}}, {"interval", "1s"}, {"timeout", "2s"}, {"retries", 2}};
    if (health == "fail")
      s["healthcheck"] = {
          {"test", {"CMD", "/bin/busybox", "false"}}, {"interval", "1s"}, {"timeout", "2s"}, {"retries", 2}};
    return s;
  }

  render::Plan plan(const json& services) const {
    render::Plan p;
    p.project = project_;
    p.document = {{"services", services}};
    EXPECT_TRUE(render::finish_plan(p));
    return p;
  }

  void apply(const render::Plan& p) {
    auto t = Clock::now();
    auto r = engine::apply(p.apply_yaml, project_);
    ASSERT_TRUE(r) << r.error().message;
    std::printf("apply (%s): %lld ms\n", r->tool.c_str(), ms_since(t));
  }

  std::vector<engine::ContainerState> state() const {
    auto s = engine::list_project(docker_, project_);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : std::vector<engine::ContainerState>{};
  }

  static std::vector<std::string> services_of(const render::Plan& p) {
    std::vector<std::string> out;
    for (const auto& [s, h] : p.service_hashes) out.push_back(s);
    return out;
  }

  engine::DockerClient docker_;
  std::string prefix_, image_, project_;
  bool built_ = false;
};

TEST_F(EngineE2e, ApplyCreatesAndANoOpApplyTouchesNothing) {
  auto p = plan({{"web", service("ok")}, {"worker", service("")}});
  apply(p);
  auto report = engine::wait_healthy(docker_, project_, services_of(p), within(60s));
  ASSERT_TRUE(report) << report.error().message;
  std::printf("health wait: %lld ms\n", static_cast<long long>(report->took.count()));
  ASSERT_TRUE(report->ok);
  EXPECT_EQ(report->services[0].outcome, engine::ServiceOutcome::kHealthy);
  EXPECT_EQ(report->services[1].outcome, engine::ServiceOutcome::kRunning);

  auto before = state();
  ASSERT_EQ(before.size(), 2u);
  for (const auto& c : before) {
    EXPECT_EQ(c.config_hash, p.service_hashes.at(c.service)) << c.service;
    EXPECT_EQ(c.image, image_);
    EXPECT_TRUE(c.running());
    EXPECT_FALSE(c.started_at.empty());
  }
  EXPECT_TRUE(engine::detect_drift({p.service_hashes, engine::container_ids(before)}, before).empty());

  apply(p);  // nothing changed
  auto after = state();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].id, before[i].id) << after[i].service;
    EXPECT_EQ(after[i].started_at, before[i].started_at) << after[i].service;
  }
}

TEST_F(EngineE2e, NeverHealthyServiceIsReportedUnhealthy) {
  auto p = plan({{"web", service("ok")}, {"bad", service("fail")}});
  apply(p);
  // fail_fast: returns at the first unhealthy service, well before the timeout.
  engine::HealthOptions o = within(40s);
  o.fail_fast = true;
  auto fast = engine::wait_healthy(docker_, project_, {"web", "bad"}, o);
  ASSERT_TRUE(fast) << fast.error().message;
  std::printf("fail-fast health wait: %lld ms (%s: %s)\n", static_cast<long long>(fast->took.count()),
              engine::to_string(fast->services[1].outcome), fast->services[1].detail.c_str());
  EXPECT_FALSE(fast->ok);
  EXPECT_EQ(fast->services[1].outcome, engine::ServiceOutcome::kUnhealthy);
  EXPECT_LT(fast->took, 20s);

  // Without fail_fast the wait runs to the service's own timeout, then reports it unhealthy with the
  // last health log line; the healthy service is reported healthy.
  o.fail_fast = false;
  o.service_timeout["bad"] = 6s;
  auto report = engine::wait_healthy(docker_, project_, {"web", "bad"}, o);
  ASSERT_TRUE(report) << report.error().message;
  std::printf("health wait with a failing service (its timeout 6 s, global 40 s): %lld ms\n",
              static_cast<long long>(report->took.count()));
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->services[0].outcome, engine::ServiceOutcome::kHealthy);
  EXPECT_EQ(report->services[1].outcome, engine::ServiceOutcome::kUnhealthy) << report->services[1].detail;
  EXPECT_GE(report->took, 6s);
  EXPECT_LT(report->took, 10s);
}

TEST_F(EngineE2e, ServiceRemovedFromComposeIsRemoved) {
  auto both = plan({{"web", service("")}, {"gone", service("")}});
  apply(both);
  auto before = state();
  ASSERT_EQ(before.size(), 2u);
  auto one = plan({{"web", service("")}});
  apply(one);
  auto after = state();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].service, "web");
  EXPECT_EQ(after[0].id, before[1].id);  // sorted by service: gone, web
}

TEST_F(EngineE2e, HandChangesAreDetectedAsDrift) {
  json services = {{"stopped", service("")}, {"removed", service("")}, {"edited", service("")}};
  auto p = plan(services);
  apply(p);
  auto report = engine::wait_healthy(docker_, project_, services_of(p), within(60s));
  ASSERT_TRUE(report && report->ok);
  auto baseline = state();
  engine::DesiredState desired{p.service_hashes, engine::container_ids(baseline)};
  std::map<std::string, std::string> name_of;
  for (const auto& c : baseline) name_of[c.service] = c.name;

  std::mutex mu;
  std::vector<std::pair<engine::Drift, Clock::time_point>> seen;
  std::vector<std::string> latencies;  // detection time minus the event's own timestamp
  std::atomic<bool> stop = false;
  std::atomic<bool> watching = false;
  Status watch_status;
  std::thread watcher([&] {
    watching = true;
    watch_status = engine::watch_drift(
        docker_, project_, desired,
        [&](const std::vector<engine::Drift>& d) {
          std::lock_guard lock(mu);
          auto wall = std::chrono::system_clock::now().time_since_epoch();
          for (const auto& x : d) {
            seen.emplace_back(x, Clock::now());
            if (x.event_time_ns > 0)
              latencies.push_back(fmt::format(
                  "{}:{} {:.1f} ms after the engine's event", x.service, engine::to_string(x.kind),
                  (std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count() - x.event_time_ns) /
                      1e6));
          }
        },
        [&] { return stop.load(); });
  });
  ASSERT_TRUE(lt::wait_until([&] { return watching.load(); }, 5s));
  std::this_thread::sleep_for(300ms);  // let the subscription start
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(seen.empty()) << "drift before any change: " << seen[0].first.service;
  }

  // Waits (bounded) for a drift of `service` with one of `kinds` reported after `t0`; ms or -1.
  auto detected = [&](const std::string& service, std::set<engine::DriftKind> kinds, Clock::time_point t0) {
    long long took = -1;
    lt::wait_until(
        [&] {
          std::lock_guard lock(mu);
          for (const auto& [d, at] : seen)
            if (d.service == service && kinds.contains(d.kind) && at >= t0) {
              took = std::chrono::duration_cast<std::chrono::milliseconds>(at - t0).count();
              return true;
            }
          return false;
        },
        20s, 5ms);
    return took;
  };

  // The same drift seen from a state snapshot (what a reconciler checks at start-up).
  auto snapshot_has = [&](const std::string& service, std::set<engine::DriftKind> kinds) {
    for (const auto& d : engine::detect_drift(desired, state()))
      if (d.service == service && kinds.contains(d.kind)) return true;
    return false;
  };

  auto t = Clock::now();
  ASSERT_EQ(lt::docker({"stop", "-t", "1", name_of["stopped"]}).exit_code, 0);
  long long stop_ms = detected("stopped", {engine::DriftKind::kStopped, engine::DriftKind::kKilled}, t);
  std::printf("drift detected: docker stop after %lld ms\n", stop_ms);
  EXPECT_GE(stop_ms, 0);
  EXPECT_TRUE(snapshot_has("stopped", {engine::DriftKind::kStopped, engine::DriftKind::kKilled}));

  t = Clock::now();
  ASSERT_EQ(lt::docker({"rm", "-f", name_of["removed"]}).exit_code, 0);
  long long rm_ms = detected("removed", {engine::DriftKind::kRemoved}, t);
  std::printf("drift detected: docker rm -f after %lld ms\n", rm_ms);
  EXPECT_GE(rm_ms, 0);
  EXPECT_TRUE(snapshot_has("removed", {engine::DriftKind::kRemoved}));

  // By hand: the same file with one env value edited, applied with docker-compose directly.
  services["edited"]["environment"]["LUCID_TEST_ENV"] = "changed by hand";
  auto edited = p;
  edited.document = {{"services", services}};
  auto hand = edited;
  ASSERT_TRUE(render::finish_plan(hand));
  // Keep Lucid's label as it was (the operator edited only the env) so only recreation gives it away.
  std::string yaml = hand.apply_yaml;
  auto pos = yaml.find(hand.service_hashes.at("edited"));
  ASSERT_NE(pos, std::string::npos);
  yaml.replace(pos, hand.service_hashes.at("edited").size(), p.service_hashes.at("edited"));
  t = Clock::now();
  engine::ApplyOptions by_hand;
  by_hand.remove_orphans = false;
  auto hand_apply = engine::apply(yaml, project_, by_hand);
  ASSERT_TRUE(hand_apply);
  std::printf("hand apply (docker-compose up, recreates edited, restores stopped and removed): %lld ms\n",
              static_cast<long long>(hand_apply->took.count()));
  long long env_ms = detected("edited",
                              {engine::DriftKind::kRecreated, engine::DriftKind::kStopped,
                               engine::DriftKind::kKilled, engine::DriftKind::kRemoved},
                              t);
  long long recreated_ms = detected("edited", {engine::DriftKind::kRecreated}, t);
  std::printf(
      "drift detected: env changed by hand after %lld ms (first event), recreation seen after %lld ms\n",
      env_ms, recreated_ms);
  EXPECT_GE(env_ms, 0);
  EXPECT_GE(recreated_ms, 0);

  stop = true;
  watcher.join();
  EXPECT_TRUE(watch_status) << watch_status.error().message;
  for (const auto& l : latencies) std::printf("  drift event %s\n", l.c_str());

  EXPECT_TRUE(snapshot_has("edited", {engine::DriftKind::kRecreated}));
  // A changed label (hand edit that also touched it) is reported as changed.
  std::string other = hand.apply_yaml;
  ASSERT_TRUE(engine::apply(other, project_, by_hand));
  bool changed = false;
  for (const auto& d : engine::detect_drift(desired, state()))
    changed = changed || (d.service == "edited" && d.kind == engine::DriftKind::kChanged);
  EXPECT_TRUE(changed);
}

// Seconds since midnight of an engine timestamp ("2026-12-02T04:15:01.123456789Z"): enough to order
// the start times of one test's containers.
double clock_seconds(const std::string& rfc3339) {
  auto t = rfc3339.find('T');
  if (t == std::string::npos || rfc3339.size() < t + 9) return -1;
  return std::stoi(rfc3339.substr(t + 1, 2)) * 3600.0 + std::stoi(rfc3339.substr(t + 4, 2)) * 60.0 +
         std::stod(rfc3339.substr(t + 7, rfc3339.find_first_of("Z+-", t + 7) - (t + 7)));
}

// Issue 12 item 7: stopped and paused containers whose config hash is current are brought back by
// the Engine API alone, in depends_on order (a service_healthy dependency healthy first), keeping
// their ids; a container gone before its start is an error naming it.
TEST_F(EngineE2e, ExistingContainersAreStartedDirectlyInDependsOnOrder) {
  json web = service("ok");
  web["depends_on"] = {{"db", {{"condition", "service_healthy"}}}};
  json worker = service("");
  worker["depends_on"] = {{"web", {{"condition", "service_started"}}}};
  auto p = plan({{"db", service("ok")}, {"web", web}, {"worker", worker}, {"idle", service("")}});
  apply(p);
  auto report = engine::wait_healthy(docker_, project_, services_of(p), within(60s));
  ASSERT_TRUE(report && report->ok);
  auto baseline = state();
  engine::DesiredState desired{p.service_hashes, engine::container_ids(baseline)};
  std::map<std::string, engine::ContainerState> before;
  for (const auto& c : baseline) before[c.service] = c;

  for (const char* s : {"worker", "web", "db"})
    ASSERT_EQ(lt::docker({"stop", "-t", "1", before[s].id}).exit_code, 0) << s;
  ASSERT_EQ(lt::docker({"pause", before["idle"].id}).exit_code, 0);

  auto decision = engine::plan_start(desired, state(), {}, engine::depends_on_of(p.document));
  ASSERT_TRUE(decision.direct()) << decision.compose_because;
  std::vector<std::string> order;
  for (const auto& st : decision.steps)
    order.push_back(fmt::format("{}:{}@{}", st.service, engine::to_string(st.action), st.wave));
  EXPECT_EQ(order,
            (std::vector<std::string>{"db:start@0", "idle:unpause@0", "web:start@1", "worker:start@2"}));

  auto t = Clock::now();
  auto started = engine::start_existing(docker_, project_, decision.steps, within(60s));
  ASSERT_TRUE(started) << started.error().message;
  auto healthy = engine::wait_healthy(docker_, project_, services_of(p), within(60s));
  ASSERT_TRUE(healthy) << healthy.error().message;
  std::printf(
      "direct start of 3 stopped + 1 paused (web awaits db healthy): started in %lld ms, all healthy "
      "after %lld ms\n",
      static_cast<long long>(started->took.count()), ms_since(t));
  EXPECT_TRUE(healthy->ok);
  std::map<std::string, engine::ContainerState> after;
  for (const auto& c : state()) after[c.service] = c;
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [s, c] : after) {
    EXPECT_EQ(c.id, before[s].id) << s << " was recreated";
    EXPECT_TRUE(c.running()) << s;
  }
  EXPECT_TRUE(engine::detect_drift(desired, state()).empty());
  // db's first healthcheck runs 1 s after its start; web starts only once db is healthy.
  double db = clock_seconds(after["db"].started_at), w = clock_seconds(after["web"].started_at),
         wk = clock_seconds(after["worker"].started_at);
  std::printf("started: db %.3f, web %.3f (+%.3f s), worker %.3f (+%.3f s)\n", db, w, w - db, wk, wk - w);
  EXPECT_GE(w - db, 0.9) << "web started before db could be healthy";
  EXPECT_GT(wk, w) << "worker started before web";
  EXPECT_EQ(after["idle"].started_at, before["idle"].started_at);  // unpaused, not restarted

  // A container removed between the decision and the start: the start fails and names it.
  ASSERT_EQ(lt::docker({"stop", "-t", "1", before["worker"].id}).exit_code, 0);
  decision = engine::plan_start(desired, state(), {}, engine::depends_on_of(p.document));
  ASSERT_TRUE(decision.direct()) << decision.compose_because;
  ASSERT_EQ(decision.steps.size(), 1u);
  ASSERT_EQ(lt::docker({"rm", "-f", before["worker"].id}).exit_code, 0);
  auto gone = engine::start_existing(docker_, project_, decision.steps, within(30s));
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("worker: start"), std::string::npos) << gone.error().message;
  // …and the snapshot now says Compose is needed.
  EXPECT_FALSE(engine::plan_start(desired, state(), {}, engine::depends_on_of(p.document)).direct());
}

}  // namespace
