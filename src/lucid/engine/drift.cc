#include "lucid/engine/drift.h"

#include <ctime>

#include <fmt/format.h>

#include "lucid/engine/labels.h"

namespace lucid::engine {
namespace {

std::string attr(const nlohmann::json& event, const char* key) {
  if (!event.contains("Actor") || !event["Actor"].is_object()) return {};
  const auto& a = event["Actor"].value("Attributes", nlohmann::json::object());
  if (!a.is_object()) return {};
  auto it = a.find(key);
  return it != a.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Drift stopped(const ContainerState& c) {
  if (c.oom_killed)
    return {c.service, DriftKind::kOomKilled, c.id, fmt::format("state {}, OOM-killed", c.state)};
  if (c.exit_code == 137)
    return {c.service, DriftKind::kKilled, c.id, fmt::format("state {}, exit code 137", c.state)};
  return {c.service, DriftKind::kStopped, c.id, fmt::format("state {}, exit code {}", c.state, c.exit_code)};
}

}  // namespace

const char* to_string(DriftKind k) {
  switch (k) {
    case DriftKind::kStopped:
      return "stopped";
    case DriftKind::kKilled:
      return "killed";
    case DriftKind::kOomKilled:
      return "oom-killed";
    case DriftKind::kRemoved:
      return "removed";
    case DriftKind::kUnhealthy:
      return "unhealthy";
    case DriftKind::kChanged:
      return "changed";
    case DriftKind::kRecreated:
      return "recreated";
    case DriftKind::kOrphan:
      return "orphan";
  }
  return "?";
}

std::set<std::string> container_ids(const std::vector<ContainerState>& observed) {
  std::set<std::string> ids;
  for (const auto& c : observed) ids.insert(c.id);
  return ids;
}

std::vector<Drift> detect_drift(const DesiredState& desired, const std::vector<ContainerState>& observed) {
  std::vector<Drift> out;
  std::map<std::string, std::vector<const ContainerState*>> by_service;
  for (const auto& c : observed) {
    // The site's own acceptance probes come and go beside the project's services: not drift.
    if (c.labels.contains(kAcceptProbeLabel)) continue;
    by_service[c.service].push_back(&c);
  }
  for (const auto& [service, hash] : desired.service_hashes) {
    auto it = by_service.find(service);
    if (it == by_service.end()) {
      out.push_back({service, DriftKind::kRemoved, "", "no container"});
      continue;
    }
    for (const ContainerState* c : it->second) {
      if (!desired.known_ids.empty() && !desired.known_ids.contains(c->id))
        out.push_back({service, DriftKind::kRecreated, c->id, "container not created by the last apply"});
      if (c->config_hash != hash)
        out.push_back({service, DriftKind::kChanged, c->id,
                       c->config_hash.empty()
                           ? std::string("no config-hash label")
                           : fmt::format("config hash {} (plan {})", c->config_hash.substr(0, 12),
                                         hash.substr(0, 12))});
      if (c->state == "running" && c->health == "unhealthy")
        out.push_back({service, DriftKind::kUnhealthy, c->id, c->last_health_log});
      else if (c->state != "running" && c->state != "restarting")
        out.push_back(stopped(*c));
    }
  }
  for (const auto& [service, list] : by_service)
    if (!desired.service_hashes.contains(service))
      for (const ContainerState* c : list)
        out.push_back({service, DriftKind::kOrphan, c->id, "not in the plan"});
  return out;
}

namespace {

std::vector<Drift> classify_event(const DesiredState& desired, const nlohmann::json& event);

}  // namespace

std::vector<Drift> drift_from_event(const DesiredState& desired, const nlohmann::json& event) {
  auto out = classify_event(desired, event);
  std::int64_t t = 0;
  if (event.contains("timeNano") && event["timeNano"].is_number_integer())
    t = event["timeNano"].get<std::int64_t>();
  for (auto& d : out) d.event_time_ns = t;
  return out;
}

namespace {

std::vector<Drift> classify_event(const DesiredState& desired, const nlohmann::json& event) {
  if (!event.is_object() || event.value("Type", "") != "container") return {};
  std::string service = attr(event, kServiceLabel);
  std::string id = event.value("id", "");
  std::string action = event.value("Action", event.value("status", ""));
  if (service.empty() || id.empty()) return {};
  if (!desired.service_hashes.contains(service)) {
    if (action == "start") return {{service, DriftKind::kOrphan, id, "started, not in the plan"}};
    return {};
  }
  bool known = desired.known_ids.empty() || desired.known_ids.contains(id);
  if (!known) {
    // Lucid did not create it: report its arrival; its own later events are the same drift.
    if (action == "create" || action == "start")
      return {{service, DriftKind::kRecreated, id,
               fmt::format("{} of a container not created by the last apply", action)}};
    return {};
  }
  if (action == "oom") return {{service, DriftKind::kOomKilled, id, "oom event"}};
  if (action == "kill") {
    std::string signal = attr(event, "signal");
    return {{service, DriftKind::kKilled, id, "signal " + signal}};
  }
  if (action == "die") return {{service, DriftKind::kStopped, id, "exit code " + attr(event, "exitCode")}};
  if (action == "stop") return {{service, DriftKind::kStopped, id, "docker stop"}};
  if (action == "destroy") return {{service, DriftKind::kRemoved, id, "container removed"}};
  if (action.starts_with("health_status") && action.find("unhealthy") != std::string::npos)
    return {{service, DriftKind::kUnhealthy, id, "health_status: unhealthy"}};
  return {};
}

}  // namespace

Status watch_drift(const DockerClient& docker, const std::string& project, const DesiredState& desired,
                   const std::function<void(const std::vector<Drift>&)>& on_drift,
                   const std::function<bool()>& stop, const WatchOptions& options) {
  nlohmann::json filters = {
      {"type", {"container"}},
      {"label", {std::string(kProjectLabel) + "=" + project}},
      {"event", {"create", "start", "die", "kill", "oom", "stop", "destroy", "health_status"}}};
  // Events are replayed from one second before the snapshot, so nothing between the two is missed.
  std::time_t since = std::time(nullptr) - 1;
  if (options.check_on_start) {
    auto now = list_project(docker, project);
    if (!now) return std::unexpected(now.error());
    auto found = detect_drift(desired, *now);
    if (!found.empty()) on_drift(found);
  }
  auto on_event = [&](const nlohmann::json& e) {
    auto found = drift_from_event(desired, e);
    if (!found.empty()) on_drift(found);
  };
  return docker.subscribe(filters, since, on_event, stop);
}

}  // namespace lucid::engine
