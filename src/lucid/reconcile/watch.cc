#include "lucid/reconcile/watch.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "lucid/engine/containers.h"
#include "lucid/engine/labels.h"

namespace lucid::reconcile {

namespace {

using Clock = std::chrono::steady_clock;

void sleep_until(Clock::time_point t, const std::function<bool()>& stop) {
  while (!stop() && Clock::now() < t) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// The drift corrections made within the budget window.
class RestartBudget {
 public:
  explicit RestartBudget(const WatchOptions& o) : limit_(o.restart_budget), window_(o.budget_window) {}
  bool spent(Clock::time_point now) {
    while (!used_.empty() && now - used_.front() >= window_) used_.pop_front();
    return limit_ > 0 && static_cast<int>(used_.size()) >= limit_;
  }
  void use(Clock::time_point now) { used_.push_back(now); }
  Clock::time_point frees_at() const { return used_.empty() ? Clock::now() : used_.front() + window_; }
  std::string why() const {
    return fmt::format(
        "restart budget spent: {} drift corrections within {} s; the next one in {} s", used_.size(),
        std::chrono::duration_cast<std::chrono::seconds>(window_).count(),
        std::chrono::duration_cast<std::chrono::seconds>(frees_at() - Clock::now()).count() + 1);
  }

 private:
  int limit_;
  std::chrono::milliseconds window_;
  std::deque<Clock::time_point> used_;
};

}  // namespace

std::string describe(const engine::Drift& d) {
  return fmt::format("{}: {}{}{}", d.service, engine::to_string(d.kind), d.detail.empty() ? "" : " (",
                     d.detail.empty() ? "" : d.detail + ")");
}

void watch(const ReconcileConfig& config, const PlanVerifier& verifier, StateStore& store,
           const engine::DockerClient& docker, const WatchOptions& options,
           const std::function<void(const WatchEvent&)>& on_event, const std::function<bool()>& stop) {
  ReconcileConfig c = config;
  std::chrono::milliseconds backoff = options.interval;
  std::vector<engine::Drift> drift;
  std::optional<Clock::time_point> first_drift;  // of the drift seen since the last pass (debounce)
  // When the drift now being corrected was first seen (any event, `kill` included): kept across a
  // pass that found nothing to do yet (the container was still stopping), so the figure reported
  // with the correction covers the whole episode.
  // (A sentinel rather than std::optional: GCC 12 warns maybe-uninitialized on the latter here.)
  constexpr Clock::time_point kNone = Clock::time_point::min();
  Clock::time_point episode_start = kNone;
  RestartBudget budget(options);
  std::set<std::string> known_ids;  // of the containers the last pass left, while drift is watched
  while (!stop()) {
    WatchEvent ev;
    const auto started = Clock::now();
    PassOptions po;
    for (const auto& d : drift) po.drift.push_back(describe(d));
    po.drift_seen = drift;
    po.known_ids = std::exchange(known_ids, {});
    ev.budget_spent = budget.spent(started);
    if (ev.budget_spent) po.hold = budget.why();
    auto r = reconcile_once(c, verifier, store, docker, po);
    ev.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    c.retry.reset();  // --retry is for the first pass only
    bool failed = !r || r->outcome == PassOutcome::kFailed;
    if (r &&
        (r->outcome == PassOutcome::kCorrected || (r->outcome == PassOutcome::kFailed && !drift.empty())))
      budget.use(started);
    if (r)
      ev.pass = *r;
    else
      ev.error = r.error().message;
    ev.drift = std::move(drift);
    if (episode_start != kNone)
      ev.since_drift = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - episode_start);
    on_event(ev);
    const bool settling = r && r->outcome == PassOutcome::kUnchanged && !ev.drift.empty();
    drift.clear();
    first_drift.reset();
    if (!settling) episode_start = kNone;
    backoff = failed ? std::min(backoff * 2, options.max_backoff) : options.interval;
    const auto deadline = Clock::now() + backoff;
    const auto not_before = Clock::now() + (failed ? backoff : std::chrono::milliseconds(0));

    auto rec = store.cluster(c.cluster);
    if (!rec || rec->applied_hashes.empty()) {
      sleep_until(deadline, stop);
      continue;
    }
    // With the budget spent and the held drift reported, drift is not watched (a crash loop would
    // report it over and over): the next pass comes at the interval or when the window frees a
    // correction, whichever is first.
    if (r && r->outcome == PassOutcome::kHeld && budget.spent(Clock::now())) {
      sleep_until(std::min(deadline, budget.frees_at()), stop);
      continue;
    }
    const std::string project = engine::project_name(c.cluster);
    auto observed = engine::list_project(docker, project);
    engine::DesiredState desired{rec->applied_hashes,
                                 observed ? engine::container_ids(*observed) : std::set<std::string>{}};
    known_ids = desired.known_ids;
    std::mutex mu;
    auto on_drift = [&](const std::vector<engine::Drift>& batch) {
      std::lock_guard lock(mu);
      drift.insert(drift.end(), batch.begin(), batch.end());
      if (episode_start == kNone) episode_start = Clock::now();
      // A `kill` event is a signal sent, not yet a change: the container may still be running
      // (SIGTERM) or die a moment later (its `die` event). It is reported, but only what changed
      // starts the debounce, so no pass runs while a container is still stopping.
      bool changed = std::any_of(batch.begin(), batch.end(),
                                 [](const engine::Drift& d) { return d.kind != engine::DriftKind::kKilled; });
      if (changed && !first_drift) first_drift = Clock::now();
    };
    // The debounce: one change rarely comes alone (a `docker stop` of a project, a host restart or
    // a crash loop send die/stop/destroy per container within a second or two). Waiting `debounce`
    // after the first real change lets one pass correct the whole burst with everything it saw,
    // instead of one pass per event racing the engine while containers are still going down. After
    // a failed pass, `not_before` keeps the back-off even when drift arrives sooner.
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
