#include "lucid/reconcile/reconciler.h"

#include <unistd.h>

#include <system_error>

#include <fmt/format.h>

#include "lucid/engine/containers.h"
#include "lucid/engine/drift.h"
#include "lucid/engine/labels.h"
#include "lucid/reconcile/git_mirror.h"

namespace lucid::reconcile {

namespace fs = std::filesystem;

namespace {

// A checked-out commit in a scratch directory, removed at scope exit.
class Checkout {
 public:
  explicit Checkout(fs::path dir) : dir_(std::move(dir)) {}
  ~Checkout() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Checkout(const Checkout&) = delete;
  Checkout& operator=(const Checkout&) = delete;
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

struct Rendered {
  render::Plan applied;  // with secrets resolved (what Compose gets)
  std::string stored;    // YAML with references unresolved (what the store keeps)
};

fs::path mirror_of(const ReconcileConfig& c) {
  return c.state_dir / "mirror.git";
}

Result<Rendered> render_commit(const ReconcileConfig& c, const fs::path& dir) {
  render::LeaveReferences leave;
  auto stored = render::render_cluster(dir, c.cluster, leave);
  if (!stored) return std::unexpected(stored.error());
  Rendered out;
  out.stored = stored->yaml;
  if (!c.resolver && !stored->secrets.empty())  // fail-closed: never apply reference text as values
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("the plan references {} secret(s) (first: {}) but no age identity is configured",
                            stored->secrets.size(), stored->secrets.front().ref.text()));
  if (c.resolver && !stored->secrets.empty()) {
    auto resolver = c.resolver(dir);
    auto plan = render::render_cluster(dir, c.cluster, *resolver);
    if (!plan) return std::unexpected(plan.error());
    out.applied = std::move(*plan);
  } else {
    out.applied = std::move(*stored);
  }
  if (!c.registry_mirror.empty()) render::rehome_images(out.applied, c.canonical_registry, c.registry_mirror);
  return out;
}

std::vector<std::string> services_of(const render::Plan& p) {
  std::vector<std::string> out;
  for (const auto& [s, h] : p.service_hashes) out.push_back(s);
  return out;
}

std::vector<std::string> unhealthy_reasons(const engine::HealthReport& r) {
  std::vector<std::string> out;
  for (const auto& s : r.services)
    if (s.outcome != engine::ServiceOutcome::kHealthy && s.outcome != engine::ServiceOutcome::kRunning)
      out.push_back(fmt::format("{}: {}{}{}", s.service, engine::to_string(s.outcome),
                                s.detail.empty() ? "" : ": ", s.detail));
  return out;
}

// Applies `plan` and waits on its health; the reasons it is not healthy (empty: healthy).
Result<std::vector<std::string>> apply_and_wait(const ReconcileConfig& c, const engine::DockerClient& docker,
                                                const render::Plan& plan,
                                                std::vector<engine::ServiceHealth>& health) {
  const std::string project = engine::project_name(c.cluster);
  auto applied = engine::apply(plan.apply_yaml, project, c.apply);
  if (!applied) return std::vector<std::string>{"apply: " + applied.error().message};
  auto report = engine::wait_healthy(docker, project, services_of(plan), c.health);
  if (!report) return std::unexpected(report.error());
  health = report->services;
  if (report->ok) return std::vector<std::string>{};
  return unhealthy_reasons(*report);
}

// Does the engine run exactly what `hashes` describes (every service present, running, healthy
// where checked, with that config hash, and nothing else)?
Result<bool> engine_matches(const engine::DockerClient& docker, const std::string& cluster,
                            const std::map<std::string, std::string>& hashes) {
  if (hashes.empty()) return false;
  auto observed = engine::list_project_summary(docker, engine::project_name(cluster));  // one request
  if (!observed) return std::unexpected(observed.error());
  return engine::detect_drift({hashes, {}}, *observed).empty();
}

class Pass {
 public:
  Pass(const ReconcileConfig& c, const PlanVerifier& v, StateStore& s, const engine::DockerClient& d,
       const PassOptions& o)
      : c_(c), verifier_(v), store_(s), docker_(d), options_(o) {}

  Result<PassReport> run() {
    auto commit = fetch_tracked(mirror_of(c_), c_.repo_url, tracked_ref(c_.branch), c_.socks_proxy);
    if (!commit) return std::unexpected(commit.error());
    report_.commit = *commit;
    if (auto s = store_.set_desired(c_.cluster, *commit); !s) return std::unexpected(s.error());
    if (c_.retry && *c_.retry == *commit)
      if (auto s = store_.clear_bad(c_.cluster, *commit); !s) return std::unexpected(s.error());
    auto rec = store_.cluster(c_.cluster);
    if (!rec) return std::unexpected(rec.error());
    rec_ = std::move(*rec);

    auto bad = store_.is_bad(c_.cluster, *commit);
    if (!bad) return std::unexpected(bad.error());
    if (*bad) return keep_last_good();
    if (*commit == rec_.applied && rec_.applied == rec_.last_good) {
      auto same = engine_matches(docker_, c_.cluster, rec_.applied_hashes);
      if (!same) return std::unexpected(same.error());
      if (*same) return outcome("unchanged", {});
      return options_.hold.empty() ? correct_drift(*commit) : hold_drift(*commit);
    }
    return deploy(*commit);
  }

 private:
  PassReport outcome(std::string what, std::vector<std::string> reasons) {
    report_.outcome = std::move(what);
    report_.reasons = std::move(reasons);
    return report_;
  }

  fs::path scratch(const std::string& commit) const {
    return c_.state_dir / "checkouts" / fmt::format("{}-{}", commit.substr(0, 12), ::getpid());
  }

  // The drift of the last-good commit seen by the watch loop (or by this pass), as attempt reasons.
  std::vector<std::string> drift_reasons() const {
    std::vector<std::string> out;
    for (const auto& d : options_.drift) out.push_back("drift: " + d);
    if (out.empty()) out.push_back("drift: the containers differ from the applied plan");
    return out;
  }

  // Re-applies the running (last-good) commit: verified when it was promoted, so not again. A
  // failure is not the commit's fault (it was healthy here): no rollback, no bad mark.
  Result<PassReport> correct_drift(const std::string& commit) {
    auto id = store_.begin_attempt(c_.cluster, commit, "drift");
    if (!id) return std::unexpected(id.error());
    std::vector<std::string> why = drift_reasons();
    Checkout dir(scratch(commit));
    if (auto s = export_commit(mirror_of(c_), commit, dir.path()); !s) return std::unexpected(s.error());
    auto r = render_commit(c_, dir.path());
    std::vector<std::string> problems;
    if (!r) {
      problems.push_back("render: " + r.error().message);
    } else {
      auto reasons = apply_and_wait(c_, docker_, r->applied, report_.health);
      if (!reasons) return std::unexpected(reasons.error());
      problems = std::move(*reasons);
    }
    std::string what = problems.empty() ? "corrected" : "failed";
    why.insert(why.end(), problems.begin(), problems.end());
    if (auto s = store_.finish_attempt(*id, what, why); !s) return std::unexpected(s.error());
    return outcome(what, why);
  }

  // The restart budget is spent: the drift stays, and the attempt says so.
  Result<PassReport> hold_drift(const std::string& commit) {
    std::vector<std::string> why = drift_reasons();
    why.push_back(options_.hold);
    auto id = store_.begin_attempt(c_.cluster, commit, "drift");
    if (!id) return std::unexpected(id.error());
    if (auto s = store_.finish_attempt(*id, "held", why); !s) return std::unexpected(s.error());
    return outcome("held", why);
  }

  // The desired commit is marked bad: keep (or restore) the last-good state.
  Result<PassReport> keep_last_good() {
    std::vector<std::string> why{fmt::format("{} is marked bad (lucidctl reconcile --retry to try it again)",
                                             report_.commit.substr(0, 12))};
    if (rec_.last_good.empty()) return outcome("skipped-bad", why);
    if (rec_.applied == rec_.last_good) {
      auto same = engine_matches(docker_, c_.cluster, rec_.applied_hashes);
      if (!same) return std::unexpected(same.error());
      if (*same) return outcome("skipped-bad", why);
    }
    auto id = store_.begin_attempt(c_.cluster, rec_.last_good, "rollback");
    if (!id) return std::unexpected(id.error());
    auto reasons = restore_last_good();
    if (!reasons) return std::unexpected(reasons.error());
    std::string what = reasons->empty() ? "repaired" : "failed";
    if (auto s = store_.finish_attempt(*id, what, *reasons); !s) return std::unexpected(s.error());
    why.insert(why.end(), reasons->begin(), reasons->end());
    return outcome(what, why);
  }

  // Re-renders and re-applies the last-good commit; the reasons it is not healthy (empty: healthy).
  Result<std::vector<std::string>> restore_last_good() {
    Checkout dir(scratch(rec_.last_good));
    if (auto s = export_commit(mirror_of(c_), rec_.last_good, dir.path()); !s)
      return std::unexpected(s.error());
    auto r = render_commit(c_, dir.path());
    if (!r) return std::vector<std::string>{"rollback render: " + r.error().message};
    auto reasons = apply_and_wait(c_, docker_, r->applied, report_.health);
    if (!reasons) return std::unexpected(reasons.error());
    if (auto s = store_.set_applied(c_.cluster, rec_.last_good, r->stored, r->applied.service_hashes); !s)
      return std::unexpected(s.error());
    for (auto& x : *reasons) x = "rollback: " + x;
    return reasons;
  }

  Result<PassReport> deploy(const std::string& commit) {
    auto id = store_.begin_attempt(c_.cluster, commit, "deploy");
    if (!id) return std::unexpected(id.error());
    auto finish = [&](std::string what, std::vector<std::string> reasons, bool mark) -> Result<PassReport> {
      auto s = store_.transaction([&]() -> Status {
        if (mark)
          if (auto m = store_.mark_bad(c_.cluster, commit, reasons.empty() ? what : reasons.front()); !m)
            return m;
        return store_.finish_attempt(*id, what, reasons);
      });
      if (!s) return std::unexpected(s.error());
      return outcome(std::move(what), std::move(reasons));
    };

    auto refused = verifier_.check_commit(mirror_of(c_).string(), commit);
    if (!refused) return finish("failed", {"verify: " + refused.error().message}, false);
    if (!refused->empty()) return finish("refused", *refused, true);

    Checkout dir(scratch(commit));
    if (auto s = export_commit(mirror_of(c_), commit, dir.path()); !s) return std::unexpected(s.error());
    auto r = render_commit(c_, dir.path());
    if (!r) return finish("refused", {"render: " + r.error().message}, true);
    auto images = verifier_.check_plan(dir.path(), c_.cluster, r->applied);
    if (!images) return finish("failed", {"verify images: " + images.error().message}, false);
    if (!images->empty()) return finish("refused", *images, true);

    auto reasons = apply_and_wait(c_, docker_, r->applied, report_.health);
    if (!reasons) return std::unexpected(reasons.error());
    if (reasons->empty()) {
      auto s = store_.transaction([&]() -> Status {
        if (auto a = store_.set_applied(c_.cluster, commit, r->stored, r->applied.service_hashes); !a)
          return a;
        if (auto g = store_.set_last_good(c_.cluster, commit, r->stored); !g) return g;
        return store_.finish_attempt(*id, "promoted", {});
      });
      if (!s) return std::unexpected(s.error());
      return outcome("promoted", {});
    }
    if (auto s = store_.set_applied(c_.cluster, commit, r->stored, r->applied.service_hashes); !s)
      return std::unexpected(s.error());
    if (rec_.last_good.empty()) return finish("failed", *reasons, true);
    auto back = restore_last_good();
    if (!back) return std::unexpected(back.error());
    reasons->insert(reasons->end(), back->begin(), back->end());
    return finish(back->empty() ? "rolled-back" : "failed", *reasons, true);
  }

  const ReconcileConfig& c_;
  const PlanVerifier& verifier_;
  StateStore& store_;
  const engine::DockerClient& docker_;
  const PassOptions& options_;
  ClusterRecord rec_;
  PassReport report_;
};

}  // namespace

Result<PassReport> reconcile_once(const ReconcileConfig& config, const PlanVerifier& verifier,
                                  StateStore& store, const engine::DockerClient& docker,
                                  const PassOptions& options) {
  if (config.cluster.empty() || config.cluster.find('/') != std::string::npos)
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid cluster id '{}'", config.cluster));
  return Pass(config, verifier, store, docker, options).run();
}

bool healthy_outcome(const std::string& outcome) {
  return outcome == "unchanged" || outcome == "promoted" || outcome == "corrected" || outcome == "repaired";
}

}  // namespace lucid::reconcile
