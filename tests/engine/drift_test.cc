// Drift classification over snapshots and single events, and reading the engine's inspect JSON.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/base/labels.h"
#include "lucid/engine/containers.h"
#include "lucid/engine/docker_client.h"
#include "lucid/engine/drift.h"

using namespace lucid::engine;
using nlohmann::json;

namespace {

ContainerState running(const std::string& service, const std::string& id, const std::string& hash) {
  ContainerState c;
  c.service = service;
  c.id = id;
  c.state = "running";
  c.config_hash = hash;
  return c;
}

std::vector<std::string> kinds(const std::vector<Drift>& d) {
  std::vector<std::string> out;
  for (const auto& x : d) out.push_back(x.service + ":" + to_string(x.kind));
  return out;
}

json event(const std::string& action, const std::string& id, const std::string& service,
           json extra = json::object()) {
  json attrs = {{"com.docker.compose.service", service}, {"com.docker.compose.project", "lucid-x"}};
  attrs.update(extra);
  return {
      {"Type", "container"}, {"Action", action}, {"id", id}, {"Actor", {{"ID", id}, {"Attributes", attrs}}}};
}

}  // namespace

TEST(Drift, NoneWhenObservedMatchesDesired) {
  DesiredState want{{{"a", "h1"}, {"b", "h2"}}, {"id1", "id2"}};
  EXPECT_TRUE(detect_drift(want, {running("a", "id1", "h1"), running("b", "id2", "h2")}).empty());
}

TEST(Drift, EachKindFromASnapshot) {
  DesiredState want{{{"a", "h1"}, {"b", "h2"}, {"c", "h3"}, {"d", "h4"}, {"e", "h5"}, {"f", "h6"}},
                    {"id1", "id2", "id4", "id5", "id6"}};
  auto stopped = running("a", "id1", "h1");
  stopped.state = "exited";
  auto changed = running("b", "id2", "OTHER");
  auto recreated = running("d", "id-new", "h4");
  auto unhealthy = running("e", "id5", "h5");
  unhealthy.health = "unhealthy";
  auto oom = running("f", "id6", "h6");
  oom.state = "exited";
  oom.oom_killed = true;
  auto orphan = running("z", "id9", "h9");
  auto d = detect_drift(want, {stopped, changed, recreated, unhealthy, oom, orphan});
  EXPECT_EQ(kinds(d), (std::vector<std::string>{"a:stopped", "b:changed", "c:removed", "d:recreated",
                                                "e:unhealthy", "f:oom-killed", "z:orphan"}));
}

// An acceptance probe the site starts in the project (lucidctl accept, or the reconciler's own run
// after a promotion) is neither an orphan nor a service: the scripts/demo run showed a probe sender
// taken for an orphan and "corrected" by Compose in the middle of a check.
TEST(Drift, AcceptanceProbesAreNotDrift) {
  DesiredState want{{{"a", "h1"}}, {"id1"}};
  ContainerState probe;
  probe.id = "probe1";
  probe.state = "running";
  probe.labels = {{lucid::kAcceptProbeLabel, "run-1"}, {"com.docker.compose.project", "lucid-x"}};
  EXPECT_TRUE(detect_drift(want, {running("a", "id1", "h1"), probe}).empty());
  ContainerState stray = probe;
  stray.labels.erase(lucid::kAcceptProbeLabel);
  EXPECT_EQ(kinds(detect_drift(want, {running("a", "id1", "h1"), stray})),
            std::vector<std::string>{":orphan"});
}

TEST(Drift, KilledIsExitCode137) {
  DesiredState want{{{"a", "h1"}}, {}};
  auto c = running("a", "id1", "h1");
  c.state = "exited";
  c.exit_code = 137;
  EXPECT_EQ(kinds(detect_drift(want, {c})), std::vector<std::string>{"a:killed"});
}

TEST(Drift, FromEvents) {
  DesiredState want{{{"a", "h1"}}, {"id1"}};
  EXPECT_EQ(kinds(drift_from_event(want, event("kill", "id1", "a", {{"signal", "9"}}))),
            std::vector<std::string>{"a:killed"});
  EXPECT_EQ(kinds(drift_from_event(want, event("die", "id1", "a"))), std::vector<std::string>{"a:stopped"});
  EXPECT_EQ(kinds(drift_from_event(want, event("oom", "id1", "a"))),
            std::vector<std::string>{"a:oom-killed"});
  EXPECT_EQ(kinds(drift_from_event(want, event("destroy", "id1", "a"))),
            std::vector<std::string>{"a:removed"});
  EXPECT_EQ(kinds(drift_from_event(want, event("health_status: unhealthy", "id1", "a"))),
            std::vector<std::string>{"a:unhealthy"});
  EXPECT_TRUE(drift_from_event(want, event("health_status: healthy", "id1", "a")).empty());
  EXPECT_TRUE(drift_from_event(want, event("start", "id1", "a")).empty());
  EXPECT_EQ(kinds(drift_from_event(want, event("start", "id2", "a"))),
            std::vector<std::string>{"a:recreated"});
  // Events of containers Lucid already replaced (not known) other than arrivals are not drift.
  EXPECT_TRUE(drift_from_event(want, event("die", "old", "a")).empty());
  EXPECT_EQ(kinds(drift_from_event(want, event("start", "id3", "zz"))),
            std::vector<std::string>{"zz:orphan"});
  EXPECT_TRUE(drift_from_event(want, json{{"Type", "network"}, {"Action", "connect"}}).empty());
}

TEST(Containers, FromInspect) {
  auto j = json::parse(R"({
    "Id": "abc", "Name": "/lucid-x_web_1", "Image": "sha256:01",
    "Config": {"Image": "img:1", "Labels": {"com.docker.compose.service": "web", "com.lucid.config-hash": "h"},
               "Healthcheck": {"Test": ["CMD", "/bin/busybox", "true"]}},
    "State": {"Status": "running", "StartedAt": "2024-01-01T00:00:00.1Z", "ExitCode": 0, "OOMKilled": false,
              "Health": {"Status": "unhealthy", "Log": [{"Output": "first"}, {"Output": "x\nlast line\n"}]}},
    "HostConfig": {"RestartPolicy": {"Name": "always"}}})");
  auto c = from_inspect(j);
  EXPECT_EQ(c.id, "abc");
  EXPECT_EQ(c.name, "lucid-x_web_1");
  EXPECT_EQ(c.service, "web");
  EXPECT_EQ(c.config_hash, "h");
  EXPECT_EQ(c.image, "img:1");
  EXPECT_TRUE(c.has_healthcheck);
  EXPECT_EQ(c.health, "unhealthy");
  EXPECT_EQ(c.last_health_log, "last line");
  EXPECT_EQ(c.restart_policy, "always");
  j["Config"]["Healthcheck"]["Test"] = {"NONE"};
  EXPECT_FALSE(from_inspect(j).has_healthcheck);
}

TEST(Containers, FromListEntry) {
  auto j = json::parse(R"j({
    "Id": "abc", "Names": ["/lucid-x_web_1"], "Image": "img:1", "ImageID": "sha256:01",
    "Labels": {"com.docker.compose.service": "web", "com.lucid.config-hash": "h"},
    "State": "running", "Status": "Up 3 minutes (healthy)"})j");
  auto c = from_list_entry(j);
  EXPECT_EQ(c.id, "abc");
  EXPECT_EQ(c.name, "lucid-x_web_1");
  EXPECT_EQ(c.service, "web");
  EXPECT_EQ(c.config_hash, "h");
  EXPECT_EQ(c.state, "running");
  EXPECT_EQ(c.health, "healthy");
  j["Status"] = "Up 2 seconds (health: starting)";
  EXPECT_EQ(from_list_entry(j).health, "starting");
  j["Status"] = "Up 1 minute (unhealthy)";
  EXPECT_EQ(from_list_entry(j).health, "unhealthy");
  j["Status"] = "Up 1 minute";
  EXPECT_EQ(from_list_entry(j).health, "");
  EXPECT_FALSE(from_list_entry(j).has_healthcheck);
  j["State"] = "exited";
  j["Status"] = "Exited (137) 5 seconds ago";
  EXPECT_EQ(from_list_entry(j).exit_code, 137);
}

TEST(DockerClient, EncodesQueryText) {
  EXPECT_EQ(DockerClient::encode(R"({"label":["a=b"]})"), "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D");
}
