#include "lucid/reconcile/metrics.h"

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/prometheus.h"
#include "lucid/base/time.h"
#include "lucid/engine/containers.h"
#include "lucid/engine/labels.h"
#include "lucid/reconcile/git_mirror.h"

namespace lucid::reconcile {

void Metrics::record(const WatchEvent& event) {
  std::lock_guard lock(mu_);
  ++passes_;
  duration_sum_ += std::chrono::duration<double>(event.took).count();
  // A pass that ended in an error (no decision) is counted as outcome="error".
  ++outcomes_[event.pass ? std::string(to_string(event.pass->outcome)) : "error"];
  if (event.pass &&
      (event.pass->outcome == PassOutcome::kRolledBack || event.pass->outcome == PassOutcome::kRepaired))
    ++rollbacks_;
  if (event.pass && event.pass->outcome == PassOutcome::kCorrected) ++drift_corrections_;
  budget_spent_ = event.budget_spent;
  if (event.pass && event.pass->commit_time != 0) newest_commit_time_ = event.pass->commit_time;
  if (event.pass && healthy_outcome(event.pass->outcome))
    last_success_ =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Metrics::prometheus(const std::string& cluster) const {
  std::lock_guard lock(mu_);
  const PrometheusLabels c{{"cluster", cluster}};
  PrometheusWriter w;
  w.family("lucid_reconcile_duration_seconds", "summary", "Time of one reconcile pass.");
  w.sample("lucid_reconcile_duration_seconds_sum", c, duration_sum_);
  w.sample("lucid_reconcile_duration_seconds_count", c, passes_);
  w.family("lucid_reconcile_total", "counter", "Reconcile passes by outcome.");
  for (const auto& [outcome, n] : outcomes_)
    w.sample("lucid_reconcile_total", {{"cluster", cluster}, {"outcome", outcome}}, n);
  w.family("lucid_drift_corrections_total", "counter",
           "Re-applies of the running commit after drift on the engine.");
  w.sample("lucid_drift_corrections_total", c, drift_corrections_);
  w.family("lucid_last_success_timestamp_seconds", "gauge",
           "End of the last pass that left the cluster healthy.");
  w.sample("lucid_last_success_timestamp_seconds", c, last_success_);
  w.family("lucid_rollbacks_total", "counter", "Re-applies of the last-good commit.");
  w.sample("lucid_rollbacks_total", c, rollbacks_);
  w.family("lucid_restart_budget_spent", "gauge",
           "1 while drift is left in place because the restart budget is spent.");
  w.sample("lucid_restart_budget_spent", c, budget_spent_);
  if (newest_commit_time_ != 0) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    w.family("lucid_newest_commit_age_seconds", "gauge",
             "Age (committer time) of the newest commit fetched; grows while the remote is frozen or "
             "unreachable.");
    w.sample("lucid_newest_commit_age_seconds", c, now.count() - newest_commit_time_);
  }
  return w.take();
}

Result<nlohmann::ordered_json> status_json(const StateStore& store, const engine::DockerClient& docker,
                                           const std::string& cluster, int attempts,
                                           const std::filesystem::path& mirror) {
  auto rec = store.cluster(cluster);
  if (!rec) return std::unexpected(rec.error());
  auto tried = store.attempts(cluster, attempts);
  if (!tried) return std::unexpected(tried.error());
  auto bad = store.bad_commits(cluster);
  if (!bad) return std::unexpected(bad.error());
  nlohmann::ordered_json j;
  j["cluster"] = cluster;
  j["reported"] = utc_now_rfc3339();  // the site's clock, for the console to compare with its own
  j["ref"] = rec->tracked_ref;
  j["desired"] = rec->desired;
  if (!mirror.empty() && !rec->desired.empty())
    if (auto t = commit_time(mirror, rec->desired); t) {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch());
      j["desired_committed"] = rfc3339(static_cast<std::time_t>(*t));
      j["desired_age_seconds"] = now.count() - *t;
    }
  j["applied"] = rec->applied;
  j["last_good"] = rec->last_good;
  // Since when the last-good commit has run: the end of its promotion (the console's soak starts here).
  auto since = rec->last_good.empty() ? Result<std::string>(std::string())
                                      : store.promoted_at(cluster, rec->last_good);
  if (!since) return std::unexpected(since.error());
  j["last_good_since"] = *since;
  j["bad_commits"] = *bad;
  j["services"] = nlohmann::json::array();
  auto containers = engine::list_project(docker, engine::project_name(cluster));
  if (!containers) {
    j["engine_error"] = containers.error().message;
  } else {
    for (const auto& c : *containers) {
      auto want = rec->applied_hashes.find(c.service);
      j["services"].push_back(
          {{"service", c.service},
           {"container", c.id.substr(0, 12)},
           {"state", c.state},
           {"health", c.health},
           {"config_current", want != rec->applied_hashes.end() && want->second == c.config_hash}});
    }
  }
  auto drift = store.attempts(cluster, attempts, AttemptKind::kDrift);
  if (!drift) return std::unexpected(drift.error());
  auto as_json = [](const std::vector<Attempt>& list) {
    auto out = nlohmann::json::array();
    for (const auto& a : list)
      out.push_back({{"commit", a.commit},
                     {"kind", to_string(a.kind)},
                     {"started", a.started},
                     {"finished", a.finished},
                     {"outcome", a.outcome ? to_string(*a.outcome) : ""},
                     {"reasons", a.reasons}});
    return out;
  };
  j["attempts"] = as_json(*tried);
  j["drift_corrections"] = as_json(*drift);  // newest first: corrected, failed or held
  // The newest `lucidctl accept` results (docs/formats.md), beside the mirror in the state directory.
  if (!mirror.empty()) {
    const auto file = mirror.parent_path() / "acceptance" / (cluster + ".json");
    if (auto text = read_text_file(file); text) {
      auto acc = nlohmann::ordered_json::parse(*text, nullptr, false);
      if (acc.is_object())
        j["acceptance"] = std::move(acc);
      else
        j["acceptance_error"] = file.string() + ": not a JSON object";
    }
  }
  return j;
}

http::Handler status_handler(const Metrics& metrics, const StateStore& store,
                             const engine::DockerClient& docker, const std::string& cluster,
                             std::filesystem::path mirror) {
  return [&metrics, &store, &docker, cluster, mirror = std::move(mirror)](const http::Request& req) {
    http::Response r;
    if (req.method != "GET") return http::Response{405, "text/plain", "only GET\n"};
    std::string path = req.target.substr(0, req.target.find('?'));
    if (path == "/metrics") {
      r.content_type = "text/plain; version=0.0.4";
      r.body = metrics.prometheus(cluster);
    } else if (path == "/status") {
      auto j = status_json(store, docker, cluster, 10, mirror);
      if (!j) return http::Response{500, "text/plain", j.error().message + "\n"};
      r.body = j->dump() + "\n";
    } else {
      return http::Response{404, "text/plain", "not found\n"};
    }
    return r;
  };
}

}  // namespace lucid::reconcile
