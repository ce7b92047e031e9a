// Drift: how the engine's containers of a project differ from the desired plan. A pure function over
// (desired config hashes, known container ids, observed state), one over single /events objects, and
// a watch loop that reports both as they happen.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/engine/containers.h"
#include "lucid/engine/docker_client.h"

namespace lucid::engine {

enum class DriftKind {
  kStopped,    // not running (docker stop, exited on its own)
  kKilled,     // killed by a signal from outside (docker kill, exit code 137)
  kOomKilled,  // the kernel's OOM killer
  kRemoved,    // the service has no container (docker rm -f)
  kUnhealthy,  // its healthcheck fails
  kChanged,    // com.lucid.config-hash differs from the plan's (or is missing)
  kRecreated,  // a container Lucid did not create (its id is not among the known ones)
  kOrphan,     // a container of a service the plan does not have
};
const char* to_string(DriftKind k);

struct Drift {
  std::string service;
  DriftKind kind = DriftKind::kStopped;
  std::string container_id;  // "" for kRemoved
  std::string detail;
  std::int64_t event_time_ns = 0;  // the engine's timeNano of the event that showed it; 0 for snapshots
};

struct DesiredState {
  std::map<std::string, std::string> service_hashes;  // service → config hash (Plan::service_hashes)
  // Ids of the containers the last apply left (empty: recreation is not checked).
  std::set<std::string> known_ids;
};

// Everything drifted in `observed` (list_project's answer), ordered by service.
std::vector<Drift> detect_drift(const DesiredState& desired, const std::vector<ContainerState>& observed);

// The drift one /events object announces (die, kill, oom, destroy, stop, health_status, start of an
// unknown container), or nothing for events of other projects, services or benign actions.
std::vector<Drift> drift_from_event(const DesiredState& desired, const nlohmann::json& event);

// Known ids for DesiredState from a snapshot taken right after an apply.
std::set<std::string> container_ids(const std::vector<ContainerState>& observed);

struct WatchOptions {
  // After connecting: one snapshot check (so drift from before the watch began is reported too).
  bool check_on_start = true;
};

// Watches /events of `project` until stop() (checked at least once a second); calls on_drift with
// each batch (never empty). While a reconcile applies, stop the watch and start a new one with the
// new DesiredState, or Lucid's own changes are reported as drift. Returns kIo when the stream
// breaks (the caller decides on reconnecting).
Status watch_drift(const DockerClient& docker, const std::string& project, const DesiredState& desired,
                   const std::function<void(const std::vector<Drift>&)>& on_drift,
                   const std::function<bool()>& stop, const WatchOptions& options = {});

}  // namespace lucid::engine
