#include "lucid/engine/start_existing.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "lucid/base/parallel.h"

namespace lucid::engine {
namespace {

using Clock = std::chrono::steady_clock;

// What starting the existing container puts right; anything else needs Compose.
bool startable(DriftKind k) {
  return k == DriftKind::kStopped || k == DriftKind::kKilled || k == DriftKind::kOomKilled ||
         k == DriftKind::kUnhealthy;
}

std::string why_compose(const Drift& d) {
  return fmt::format("{}: {}{}{}", d.service, to_string(d.kind), d.detail.empty() ? "" : " (",
                     d.detail.empty() ? "" : d.detail + ")");
}

// The action that brings `c` back, or "" with `why` set when it cannot be done in place.
bool action_for(const ContainerState& c, std::optional<StartAction>& action, std::string& why) {
  if (c.state == "exited" || c.state == "created")
    action = StartAction::kStart;
  else if (c.state == "paused")
    action = StartAction::kUnpause;
  else if (c.state == "running" && c.health == "unhealthy")
    action = StartAction::kRestart;
  else if (c.state != "running" && c.state != "restarting") {
    why = fmt::format("{}: container {} is {}", c.service, c.id.substr(0, 12), c.state);
    return false;
  }
  return true;
}

// Wave of `service` among the steps (`steps` keyed by service): one more than the highest wave of
// a dependency that is itself a step. False on a cycle.
bool assign_wave(const std::string& service, std::map<std::string, StartStep>& steps, const DependsOn& deps,
                 std::set<std::string>& visiting, std::set<std::string>& done) {
  if (done.contains(service)) return true;
  if (!visiting.insert(service).second) return false;
  StartStep& step = steps.at(service);
  if (auto it = deps.find(service); it != deps.end())
    for (const auto& [dep, condition] : it->second) {
      if (!steps.contains(dep)) continue;  // running already: nothing to order against
      if (!assign_wave(dep, steps, deps, visiting, done)) return false;
      step.wave = std::max(step.wave, steps.at(dep).wave + 1);
      if (condition == "service_healthy") step.await_healthy.push_back(dep);
    }
  visiting.erase(service);
  done.insert(service);
  return true;
}

std::string action_path(const StartStep& s) {
  const char* verb = s.action == StartAction::kStart     ? "start"
                     : s.action == StartAction::kRestart ? "restart"
                                                         : "unpause";
  return fmt::format("/containers/{}/{}", DockerClient::encode(s.container_id), verb);
}

}  // namespace

const char* to_string(StartAction a) {
  switch (a) {
    case StartAction::kStart:
      return "start";
    case StartAction::kRestart:
      return "restart";
    case StartAction::kUnpause:
      return "unpause";
  }
  return "?";
}

DependsOn depends_on_of(const nlohmann::json& document) {
  DependsOn out;
  if (!document.is_object() || !document.contains("services") || !document["services"].is_object())
    return out;
  for (const auto& [service, spec] : document["services"].items()) {
    if (!spec.is_object() || !spec.contains("depends_on")) continue;
    const auto& d = spec["depends_on"];
    if (d.is_array()) {
      for (const auto& name : d)
        if (name.is_string()) out[service][name.get<std::string>()] = "service_started";
    } else if (d.is_object()) {
      for (const auto& [dep, how] : d.items())
        out[service][dep] = how.is_object() && how.contains("condition") && how["condition"].is_string()
                                ? how["condition"].get<std::string>()
                                : "service_started";
    }
  }
  return out;
}

StartDecision plan_start(const DesiredState& desired, const std::vector<ContainerState>& observed,
                         const std::vector<Drift>& seen, const DependsOn& depends_on) {
  StartDecision out;
  auto compose = [&](std::string why) {
    out.steps.clear();
    out.compose_because = std::move(why);
    return out;
  };
  if (desired.known_ids.empty())
    return compose(
        "the containers the last apply left are not known (no watch), so a hand recreation "
        "could not be told");
  for (const auto& d : seen)
    if (!startable(d.kind)) return compose(why_compose(d));
  for (const auto& d : detect_drift(desired, observed))
    if (!startable(d.kind)) return compose(why_compose(d));

  std::map<std::string, StartStep> steps;
  for (const auto& [service, hash] : desired.service_hashes) {
    std::vector<const ContainerState*> mine;
    for (const auto& c : observed)
      if (c.service == service) mine.push_back(&c);
    if (mine.size() != 1)  // none is a "removed" drift, refused above
      return compose(fmt::format("{}: {} containers", service, mine.size()));
    std::optional<StartAction> action;
    std::string why;
    if (!action_for(*mine[0], action, why)) return compose(why);
    if (action) steps[service] = StartStep{service, mine[0]->id, *action, 0, {}};
  }
  std::set<std::string> visiting, done;
  for (auto& [service, step] : steps)
    if (!assign_wave(service, steps, depends_on, visiting, done))
      return compose(fmt::format("{}: depends_on cycle", service));
  for (auto& [service, step] : steps) out.steps.push_back(std::move(step));
  std::stable_sort(out.steps.begin(), out.steps.end(),
                   [](const StartStep& a, const StartStep& b) { return a.wave < b.wave; });
  return out;
}

Result<StartReport> start_existing(const DockerClient& docker, const std::string& project,
                                   const std::vector<StartStep>& steps, const HealthOptions& health) {
  const auto t0 = Clock::now();
  StartReport report;
  for (std::size_t begin = 0; begin < steps.size();) {
    std::size_t end = begin;
    std::set<std::string> awaited;
    while (end < steps.size() && steps[end].wave == steps[begin].wave) {
      awaited.insert(steps[end].await_healthy.begin(), steps[end].await_healthy.end());
      ++end;
    }
    if (!awaited.empty()) {
      std::vector<std::string> list(awaited.begin(), awaited.end());
      auto ready = wait_healthy(docker, project, list, health);
      if (!ready) return std::unexpected(ready.error());
      for (const auto& s : ready->services)
        if (s.outcome != ServiceOutcome::kHealthy && s.outcome != ServiceOutcome::kRunning)
          return fail(ErrorKind::kIo,
                      fmt::format("{}: dependency not healthy before its dependants start: {}{}{}", s.service,
                                  to_string(s.outcome), s.detail.empty() ? "" : ": ", s.detail));
    }
    std::mutex mu;
    std::vector<std::string> errors;
    parallel_for(
        end - begin, static_cast<unsigned>(std::min<std::size_t>(end - begin, 4)), [&](std::size_t i) {
          const StartStep& s = steps[begin + i];
          // A start of a running container (304 Not Modified) is success: something else started it.
          auto r = docker.post_json(action_path(s));
          std::lock_guard lock(mu);
          if (!r)
            errors.push_back(fmt::format("{}: {}: {}", s.service, to_string(s.action), r.error().message));
          else
            report.done.push_back(fmt::format("{}: {}", s.service, to_string(s.action)));
        });
    if (!errors.empty()) {
      std::sort(errors.begin(), errors.end());
      return fail(ErrorKind::kIo, errors.front());
    }
    begin = end;
  }
  report.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  return report;
}

}  // namespace lucid::engine
