// Waiting on health after an apply, driven by the engine's /events feed (no polling): every service
// with a healthcheck healthy and every other one running, or a per-service outcome saying why not.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/engine/docker_client.h"

namespace lucid::engine {

enum class ServiceOutcome { kHealthy, kRunning, kUnhealthy, kExited, kMissing, kTimeout };
const char* to_string(ServiceOutcome o);

struct ServiceHealth {
  std::string service;
  ServiceOutcome outcome = ServiceOutcome::kMissing;
  std::string container_id;
  std::string detail;                 // last health log line, exit code, or what was awaited
  std::chrono::milliseconds took{0};  // from the start of the wait to this outcome
};

struct HealthReport {
  bool ok = false;                      // every service healthy (with a healthcheck) or running (without)
  std::vector<ServiceHealth> services;  // in the order asked
  std::chrono::milliseconds took{0};
};

struct HealthOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};        // the whole wait
  std::map<std::string, std::chrono::milliseconds> service_timeout;  // tighter per-service limits
  // Stop at the first unhealthy or exited service (the report still lists every service).
  bool fail_fast = false;
};

// Watches /events of `project` (container start, die, health_status, oom, kill, destroy), seeded
// by one inspect of every container, until each of `services` is settled or its time is up.
// A service whose container exited is final unless its restart policy brings it back. Errors only
// when the engine cannot be reached at the start.
Result<HealthReport> wait_healthy(const DockerClient& docker, const std::string& project,
                                  const std::vector<std::string>& services,
                                  const HealthOptions& options = {});

}  // namespace lucid::engine
