#include "lucid/engine/health.h"

#include <ctime>
#include <set>

#include <fmt/format.h>

#include "lucid/engine/containers.h"
#include "lucid/engine/labels.h"

namespace lucid::engine {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Tracked {
  ServiceHealth health;
  Clock::time_point deadline;
  bool settled = false;
  std::map<std::string, ContainerState> containers;  // id → newest inspect
};

bool restarts(const ContainerState& c) {
  return !c.restart_policy.empty() && c.restart_policy != "no";
}

// Re-derives a service's outcome from its containers; `settled` when it is final.
void evaluate(Tracked& t, Clock::time_point start, bool fail_fast) {
  if (t.settled) return;
  auto& h = t.health;
  auto now = Clock::now();
  h.took = std::chrono::duration_cast<milliseconds>(now - start);
  if (t.containers.empty()) {
    h.outcome = ServiceOutcome::kMissing;
    h.detail = "no container";
    return;
  }
  // All replicas must be ready; the first one that is not decides (and returns).
  for (const auto& [id, c] : t.containers) {
    h.container_id = id;
    if (c.running() && c.has_healthcheck && c.health == "healthy") {
      h.outcome = ServiceOutcome::kHealthy;
      h.detail = c.last_health_log;
      continue;
    }
    if (c.running() && !c.has_healthcheck) {
      h.outcome = ServiceOutcome::kRunning;
      h.detail.clear();
      continue;
    }
    if (c.running() && c.health == "unhealthy") {
      h.outcome = ServiceOutcome::kUnhealthy;
      h.detail = c.last_health_log.empty() ? "healthcheck fails (no output)" : c.last_health_log;
      t.settled = fail_fast;
      return;
    }
    if ((c.state == "exited" || c.state == "dead") && !restarts(c)) {
      h.outcome = ServiceOutcome::kExited;
      h.detail = fmt::format("exit code {}{}", c.exit_code, c.oom_killed ? " (OOM-killed)" : "");
      t.settled = true;
      return;
    }
    h.outcome = ServiceOutcome::kTimeout;
    h.detail = c.has_healthcheck ? fmt::format("state {}, health {}{}{}", c.state, c.health,
                                               c.last_health_log.empty() ? "" : ": ", c.last_health_log)
                                 : fmt::format("state {}", c.state);
    return;
  }
  t.settled = true;  // every replica is ready
}

}  // namespace

const char* to_string(ServiceOutcome o) {
  switch (o) {
    case ServiceOutcome::kHealthy:
      return "healthy";
    case ServiceOutcome::kRunning:
      return "running";
    case ServiceOutcome::kUnhealthy:
      return "unhealthy";
    case ServiceOutcome::kExited:
      return "exited";
    case ServiceOutcome::kMissing:
      return "missing";
    case ServiceOutcome::kTimeout:
      return "timeout";
  }
  return "?";
}

Result<HealthReport> wait_healthy(const DockerClient& docker, const std::string& project,
                                  const std::vector<std::string>& services, const HealthOptions& options) {
  auto start = Clock::now();
  auto global_deadline = start + options.timeout;
  std::map<std::string, Tracked> tracked;
  for (const auto& s : services) {
    auto& t = tracked[s];
    t.health.service = s;
    auto it = options.service_timeout.find(s);
    t.deadline =
        it == options.service_timeout.end() ? global_deadline : std::min(global_deadline, start + it->second);
  }
  // Events are replayed from one second before the seeding inspect, so nothing between the two is lost;
  // each event only triggers an inspect of its container, so a replayed event cannot regress state.
  std::time_t since = std::time(nullptr) - 1;
  auto seed = list_project(docker, project);
  if (!seed) return std::unexpected(seed.error());
  for (auto& c : *seed)
    if (auto it = tracked.find(c.service); it != tracked.end()) it->second.containers[c.id] = c;

  bool failed_fast = false;
  auto settle_all = [&] {
    auto now = Clock::now();
    bool done = true;
    for (auto& [name, t] : tracked) {
      evaluate(t, start, options.fail_fast);
      if (!t.settled && now >= t.deadline) t.settled = true;  // keeps its timeout/missing outcome
      if (t.settled && options.fail_fast &&
          (t.health.outcome == ServiceOutcome::kUnhealthy || t.health.outcome == ServiceOutcome::kExited))
        failed_fast = true;
      done = done && t.settled;
    }
    return done || failed_fast;
  };

  bool done = settle_all();
  nlohmann::json filters = {
      {"type", {"container"}},
      {"label", {std::string(kProjectLabel) + "=" + project}},
      {"event", {"start", "die", "health_status", "oom", "kill", "destroy", "restart", "stop", "create"}}};
  while (!done && Clock::now() < global_deadline) {
    auto on_event = [&](const nlohmann::json& e) {
      std::string id = e.value("id", "");
      if (id.empty()) return;
      auto attrs = e.contains("Actor") ? e["Actor"].value("Attributes", nlohmann::json::object())
                                       : nlohmann::json::object();
      std::string service = attrs.is_object() ? attrs.value(kServiceLabel, "") : "";
      auto it = tracked.find(service);
      if (it == tracked.end()) return;
      auto c = inspect_container(docker, id);
      if (c) {
        it->second.containers[id] = *c;
      } else if (c.error().kind == ErrorKind::kNotFound) {
        it->second.containers.erase(id);
      }
      done = settle_all();
    };
    auto stop = [&] { return done || (done = settle_all()); };
    auto s = docker.subscribe(filters, since, on_event, stop);
    if (!s && !done) {
      // The stream broke (engine restart?): re-seed and resubscribe until the deadline.
      since = std::time(nullptr) - 1;
      if (auto again = list_project(docker, project)) {
        for (auto& [name, t] : tracked) t.containers.clear();
        for (auto& c : *again)
          if (auto it = tracked.find(c.service); it != tracked.end()) it->second.containers[c.id] = c;
      }
      done = settle_all();
    }
  }
  // A healthcheck that keeps failing while "starting" changes no status and sends no event, so a
  // timed-out service's containers are inspected once more: the report shows their newest output.
  for (auto& [name, t] : tracked)
    if (t.health.outcome == ServiceOutcome::kTimeout)
      for (auto& [id, c] : t.containers)
        if (auto fresh = inspect_container(docker, id)) c = *fresh;
  settle_all();
  HealthReport report;
  report.took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  report.ok = true;
  for (const auto& s : services) {
    const auto& h = tracked[s].health;
    report.ok = report.ok && (h.outcome == ServiceOutcome::kHealthy || h.outcome == ServiceOutcome::kRunning);
    report.services.push_back(h);
  }
  return report;
}

}  // namespace lucid::engine
