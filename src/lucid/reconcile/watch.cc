#include "lucid/reconcile/watch.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include "lucid/engine/containers.h"
#include "lucid/engine/labels.h"

namespace lucid::reconcile {

namespace {

using Clock = std::chrono::steady_clock;

void sleep_until(Clock::time_point t, const std::function<bool()>& stop) {
  while (!stop() && Clock::now() < t) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

void watch(const ReconcileConfig& config, const PlanVerifier& verifier, StateStore& store,
           const engine::DockerClient& docker, const WatchOptions& options,
           const std::function<void(const WatchEvent&)>& on_event, const std::function<bool()>& stop) {
  ReconcileConfig c = config;
  std::chrono::milliseconds backoff = options.interval;
  std::vector<engine::Drift> drift;
  std::optional<Clock::time_point> first_drift;
  while (!stop()) {
    WatchEvent ev;
    const auto started = Clock::now();
    auto r = reconcile_once(c, verifier, store, docker);
    ev.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    c.retry.reset();  // --retry is for the first pass only
    bool failed = !r || r->outcome == "failed";
    if (r)
      ev.pass = *r;
    else
      ev.error = r.error().message;
    ev.drift = std::move(drift);
    if (first_drift)
      ev.since_drift = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *first_drift);
    on_event(ev);
    drift.clear();
    first_drift.reset();
    backoff = failed ? std::min(backoff * 2, options.max_backoff) : options.interval;
    const auto deadline = Clock::now() + backoff;
    const auto not_before = Clock::now() + (failed ? backoff : std::chrono::milliseconds(0));

    auto rec = store.cluster(c.cluster);
    if (!rec || rec->applied_hashes.empty()) {
      sleep_until(deadline, stop);
      continue;
    }
    const std::string project = engine::project_name(c.cluster);
    auto observed = engine::list_project(docker, project);
    engine::DesiredState desired{rec->applied_hashes,
                                 observed ? engine::container_ids(*observed) : std::set<std::string>{}};
    std::mutex mu;
    auto on_drift = [&](const std::vector<engine::Drift>& batch) {
      std::lock_guard lock(mu);
      drift.insert(drift.end(), batch.begin(), batch.end());
      if (!first_drift) first_drift = Clock::now();
    };
    auto until = [&] {
      if (stop()) return true;
      auto now = Clock::now();
      if (now >= deadline) return true;
      std::lock_guard lock(mu);
      return first_drift && now >= not_before && now >= *first_drift + options.debounce;
    };
    auto s = engine::watch_drift(docker, project, desired, on_drift, until);
    if (!s) sleep_until(std::min(deadline, Clock::now() + std::chrono::seconds(1)), stop);
  }
}

}  // namespace lucid::reconcile
