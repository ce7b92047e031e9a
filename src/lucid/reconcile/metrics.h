// The reconciler's read-only HTTP face: Prometheus text for /metrics (counters fed by the watch
// loop) and the cluster's status JSON for /status, served on a loopback address by default.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/http_server.h"
#include "lucid/base/result.h"
#include "lucid/engine/docker_client.h"
#include "lucid/reconcile/state_store.h"
#include "lucid/reconcile/watch.h"

namespace lucid::reconcile {

class Metrics {
 public:
  // Counts one pass of the watch loop (its outcome, duration, drift and rollbacks).
  void record(const WatchEvent& event);
  // lucid_reconcile_duration_seconds (summary: _sum, _count), lucid_reconcile_total{outcome},
  // lucid_drift_corrections_total, lucid_last_success_timestamp_seconds, lucid_rollbacks_total,
  // lucid_restart_budget_spent, lucid_newest_commit_age_seconds.
  std::string prometheus(const std::string& cluster) const;

 private:
  mutable std::mutex mu_;
  double duration_sum_ = 0;
  std::uint64_t passes_ = 0;
  std::map<std::string, std::uint64_t> outcomes_;
  std::uint64_t drift_corrections_ = 0;
  std::uint64_t rollbacks_ = 0;
  double last_success_ = 0;  // Unix seconds
  bool budget_spent_ = false;
  std::int64_t newest_commit_time_ = 0;  // committer time of the newest commit fetched (0: none yet)
};

// desired/applied/last-good, bad commits, per-service state and health (from the engine, when it
// answers), the newest `attempts` attempts and drift corrections: what `lucidctl status --json` and
// /status print. With the reconciler's `mirror` (<state-dir>/mirror.git), also the committer time and
// age of the desired commit (how old the newest fetched commit is: a frozen remote shows here), and
// the newest `lucidctl accept` results from <state-dir>/acceptance/<cluster>.json (the mirror's
// directory). docs/console.md "Site status" lists the fields.
Result<nlohmann::ordered_json> status_json(const StateStore& store, const engine::DockerClient& docker,
                                           const std::string& cluster, int attempts = 10,
                                           const std::filesystem::path& mirror = {});

// GET /metrics and GET /status; 404 otherwise, 405 for other methods.
http::Handler status_handler(const Metrics& metrics, const StateStore& store,
                             const engine::DockerClient& docker, const std::string& cluster,
                             std::filesystem::path mirror = {});

}  // namespace lucid::reconcile
