// The reconcile loop of `lucidctl reconcile --watch`: a pass, then the engine's /events watched for
// drift of the applied plan until the interval ends or drift is seen (debounced), then the next pass.
// A failed pass backs the next one off (doubling up to a limit), drift included. Drift corrections
// draw on a restart budget (N per window); once it is spent, drift is left in place and reported
// (one `held` pass) until the window frees a correction; newer commits still deploy at each interval.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/engine/drift.h"
#include "lucid/reconcile/reconciler.h"

namespace lucid::reconcile {

struct WatchOptions {
  std::chrono::milliseconds interval{std::chrono::seconds(60)};        // between passes without drift
  std::chrono::milliseconds debounce{std::chrono::milliseconds(500)};  // after the first drift seen
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
  int restart_budget = 5;                                             // drift corrections per window
  std::chrono::milliseconds budget_window{std::chrono::minutes(10)};  // 0 budget: no limit
};

struct WatchEvent {
  std::optional<PassReport> pass;  // the pass that ran, or nullopt with `error`
  std::string error;
  std::vector<engine::Drift> drift;          // what triggered this pass ("" when the interval did)
  std::chrono::milliseconds since_drift{0};  // first drift seen → end of this pass
  std::chrono::milliseconds took{0};         // of the pass
  bool budget_spent = false;                 // drift corrections are held until the window frees one
};

// "web: stopped (exit 137)": one drift as an attempt reason.
std::string describe(const engine::Drift& drift);

// Runs until stop() is true (checked at least once a second); on_event after every pass.
void watch(const ReconcileConfig& config, const PlanVerifier& verifier, StateStore& store,
           const engine::DockerClient& docker, const WatchOptions& options,
           const std::function<void(const WatchEvent&)>& on_event, const std::function<bool()>& stop);

}  // namespace lucid::reconcile
