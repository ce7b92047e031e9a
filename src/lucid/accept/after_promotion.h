// Acceptance without an operator: the site's reconciler (lucidctl reconcile --watch) makes sure its
// last-good commit has acceptance results, so that the gates resting on them (beta onions, wallet
// isolation) are judged for each new commit as soon as it is promoted. One run when the last-good
// commit has no results of its own (after a promotion, or a restart that interrupted one), then
// again every `retry` while its newest results fail a check. Runs on its own thread: passes and
// drift corrections never wait for probes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "lucid/accept/checks.h"
#include "lucid/accept/site.h"
#include "lucid/base/thread_annotations.h"

namespace lucid::accept {

class AcceptanceAfterPromotion {
 public:
  struct Options {
    SiteOptions site;      // cluster and state directory (results go to <state-dir>/acceptance/)
    ProbeSettings probes;  // as `lucidctl accept` uses them
    std::chrono::seconds retry{120};
    std::function<void(const std::string&)> log;  // one line per run, may be empty
  };

  explicit AcceptanceAfterPromotion(Options options);
  // Stops; a run in progress ends after its current check (its probes are bounded in time).
  ~AcceptanceAfterPromotion();
  AcceptanceAfterPromotion(const AcceptanceAfterPromotion&) = delete;
  AcceptanceAfterPromotion& operator=(const AcceptanceAfterPromotion&) = delete;

  // After every pass: `last_good` is the site's last-good commit now ("" before the first).
  void after_pass(const std::string& last_good);

  // The number of runs finished (for tests and the log).
  int runs() const;

 private:
  void loop();
  // Runs the checks for the site's last-good commit and writes the results; true when none failed.
  bool run_once();

  Options options_;
  mutable Mutex mu_;
  std::condition_variable wake_;
  std::string wanted_ GUARDED_BY(mu_);   // the last-good commit that should have results
  std::string covered_ GUARDED_BY(mu_);  // the commit whose results passed, or are waiting to retry
  std::optional<std::chrono::steady_clock::time_point> retry_at_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  int runs_ GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace lucid::accept
