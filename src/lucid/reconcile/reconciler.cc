#include "lucid/reconcile/reconciler.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <system_error>

#include <fmt/format.h>

#include "lucid/engine/containers.h"
#include "lucid/engine/drift.h"
#include "lucid/engine/labels.h"
#include "lucid/engine/start_existing.h"
#include "lucid/gitsig/git_repo.h"
#include "lucid/reconcile/deploy_gates.h"
#include "lucid/reconcile/git_mirror.h"
#include "lucid/rollout/fleet_definition.h"
#include "lucid/yaml/loader.h"
#include "lucid/yaml/scalar.h"

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
    auto ref = ref_to_follow();
    if (!ref) return keep_running_offline(ref.error());
    report_.ref = *ref;
    auto commit = fetch_tracked(mirror_of(c_), c_.repo_url, *ref, c_.socks_proxy, tracking_ref(c_.cluster));
    if (!commit) return keep_running_offline(commit.error());
    report_.commit = *commit;
    if (auto t = commit_time(mirror_of(c_), *commit); t) report_.commit_time = *t;
    if (auto s = store_.set_desired(c_.cluster, *commit, *ref); !s) return std::unexpected(s.error());
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
      if (*same) return outcome(PassOutcome::kUnchanged, stale_reasons());
      return options_.hold.empty() ? correct_drift(*commit) : hold_drift(*commit);
    }
    // A new commit: it must be fresh and descend from what the site already trusts.
    if (auto stale = stale_reasons(); !stale.empty()) return refuse_unmarked(*commit, std::move(stale));
    std::vector<std::string> allowed;
    if (!rec_.last_good.empty() && *commit != rec_.last_good) {
      auto descends = gitsig::is_ancestor(mirror_of(c_).string(), rec_.last_good, *commit);
      if (!descends) return std::unexpected(descends.error());
      if (!*descends) {
        if (c_.allow_rewind != *commit)
          return refuse_unmarked(
              *commit, {fmt::format("not-descendant: {} does not descend from the last-good commit {} (the "
                                    "remote was rewound or replaced); nothing applied. To accept it: "
                                    "lucidctl reconcile --allow-rewind {}",
                                    commit->substr(0, 12), rec_.last_good.substr(0, 12), *commit)});
        allowed.push_back(
            fmt::format("rewind: {} does not descend from the last-good commit {}; allowed "
                        "by --allow-rewind (operator {}, pid {})",
                        commit->substr(0, 12), rec_.last_good.substr(0, 12), operator_name(), ::getpid()));
      }
    }
    return deploy(*commit, std::move(allowed));
  }

 private:
  PassReport outcome(PassOutcome what, std::vector<std::string> reasons) {
    report_.outcome = what;
    report_.reasons = std::move(reasons);
    return report_;
  }

  // Which ref to fetch (ReconcileConfig::branch). The wave ref is read from the last-good commit,
  // which the site verified and runs; before the first promotion from the remote's default branch
  // (every commit on the ref it names is verified like any other).
  Result<std::string> ref_to_follow() const {
    if (c_.branch) return tracked_ref(*c_.branch);
    auto rec = store_.cluster(c_.cluster);
    if (!rec) return std::unexpected(rec.error());
    std::string from = rec->last_good, source = "the last-good commit";
    if (from.empty()) {
      // The remote's HEAD, else main (a bare remote's HEAD may name a branch never pushed).
      const std::string into = "refs/lucid/head/" + c_.cluster;
      auto head = fetch_tracked(mirror_of(c_), c_.repo_url, "HEAD", c_.socks_proxy, into);
      if (!head) head = fetch_tracked(mirror_of(c_), c_.repo_url, "refs/heads/main", c_.socks_proxy, into);
      if (!head) return std::unexpected(head.error());
      from = *head;
      source = "the remote's default branch";
    }
    auto text = gitsig::read_file_at(mirror_of(c_).string(), from, "clusters/clusters.yaml");
    if (!text) return std::unexpected(text.error());
    if (!*text)
      return fail(ErrorKind::kNotFound, fmt::format("{} ({}) has no clusters/clusters.yaml to name the "
                                                    "cluster's wave; give --branch",
                                                    source, from.substr(0, 12)));
    auto ref = rollout::wave_ref_of(**text, c_.cluster);
    if (!ref)
      return fail(ref.error().kind, fmt::format("{} ({}): {}; give --branch to follow a ref explicitly",
                                                source, from.substr(0, 12), ref.error().message));
    return ref;
  }

  // The fetched commit is older than --max-commit-age: the remote may be frozen (or replayed).
  std::vector<std::string> stale_reasons() const {
    if (!c_.max_commit_age || report_.commit_time == 0) return {};
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const auto age = now - report_.commit_time;
    if (age <= c_.max_commit_age->count()) return {};
    return {
        fmt::format("stale: the newest commit {} was committed {} s ago, more than --max-commit-age {} s "
                    "(is the remote frozen?)",
                    report_.commit.substr(0, 12), age, c_.max_commit_age->count())};
  }

  // Who passed an override, for the record: the login name of the process's user.
  static std::string operator_name() {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr)
      return fmt::format("{} (uid {})", pw->pw_name, ::getuid());
    return fmt::format("uid {}", ::getuid());
  }

  // A refusal the operator can lift with a flag (stale, not-descendant, empty plan): the commit is
  // not marked bad, and the refusal is recorded once, not at every pass while it lasts.
  Result<PassReport> refuse_unmarked(const std::string& commit, std::vector<std::string> reasons) {
    auto last = store_.attempts(c_.cluster, 1);
    if (!last) return std::unexpected(last.error());
    bool recorded = !last->empty() && last->front().commit == commit &&
                    last->front().outcome == PassOutcome::kRefused && last->front().reasons == reasons;
    if (!recorded) {
      auto id = store_.begin_attempt(c_.cluster, commit, AttemptKind::kDeploy);
      if (!id) return std::unexpected(id.error());
      if (auto s = store_.finish_attempt(*id, PassOutcome::kRefused, reasons); !s)
        return std::unexpected(s.error());
    }
    return outcome(PassOutcome::kRefused, std::move(reasons));
  }

  // The remote cannot be fetched: the site keeps running its last-good commit, and drift of it is
  // still corrected from the local mirror (verified when it was promoted). Without a last-good
  // commit there is nothing to keep, and the fetch error is the pass's error.
  Result<PassReport> keep_running_offline(const Error& fetch_error) {
    auto rec = store_.cluster(c_.cluster);
    if (!rec) return std::unexpected(rec.error());
    rec_ = std::move(*rec);
    if (rec_.last_good.empty() || rec_.applied != rec_.last_good) return std::unexpected(fetch_error);
    report_.commit = rec_.last_good;
    report_.fetch_error = fetch_error.message;
    if (auto t = commit_time(mirror_of(c_), rec_.last_good); t) report_.commit_time = *t;
    const std::string why =
        fmt::format("fetch: {} (the last-good commit {} keeps running from the local mirror)",
                    fetch_error.message, rec_.last_good.substr(0, 12));
    auto same = engine_matches(docker_, c_.cluster, rec_.applied_hashes);
    if (!same) return std::unexpected(same.error());
    if (*same) return outcome(PassOutcome::kUnreachable, {why});
    auto r = options_.hold.empty() ? correct_drift(rec_.last_good) : hold_drift(rec_.last_good);
    if (r) r->reasons.insert(r->reasons.begin(), why);
    return r;
  }

  // The policies that vouch for a new commit: the last-good commit's (checked out into `scratch`),
  // else the operator's files.
  Result<TrustedPolicies> trusted_policies(const fs::path& scratch_dir) const {
    if (rec_.last_good.empty()) {
      TrustedPolicies t;
      t.signers_dir = c_.image_signers;
      t.privileged = c_.privileged_policy;
      t.source = "the operator's files (--image-signers, --privileged-policy)";
      return t;
    }
    if (auto s = export_commit(mirror_of(c_), rec_.last_good, scratch_dir); !s)
      return std::unexpected(s.error());
    return policies_of_checkout(scratch_dir, "the last-good commit " + rec_.last_good.substr(0, 12));
  }

  // Records the commits a rollback may need as refs of the mirror, so `git gc` keeps them.
  Status keep_refs(const std::string& applied, const std::string& last_good) {
    if (!applied.empty())
      if (auto s = keep_ref(mirror_of(c_), applied_ref(c_.cluster), applied); !s) return s;
    if (!last_good.empty())
      if (auto s = keep_ref(mirror_of(c_), last_good_ref(c_.cluster), last_good); !s) return s;
    return {};
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

  struct DirectStart {
    bool started = false;               // the existing containers were started (and health awaited)
    std::string what;                   // started: what was done; else why Compose is needed
    std::vector<std::string> problems;  // started: why the plan is not healthy (empty: healthy)
  };

  // Drift whose containers all exist with the applied plan's config hashes (the watch's drift and
  // a fresh snapshot; engine::plan_start) is corrected by starting them through the Engine API,
  // dependencies first, then the plan's health is awaited: no render, no Compose (which takes 5-15 s
  // on a loaded machine even when it changes nothing). Anything else, or a start the engine
  // refuses, is left to Compose (`started` false).
  Result<DirectStart> start_directly() {
    DirectStart out;
    if (c_.drift_via_compose) {
      out.what = "--drift-via-compose";
      return out;
    }
    const std::string project = engine::project_name(c_.cluster);
    auto observed = engine::list_project_summary(docker_, project);
    if (!observed) return std::unexpected(observed.error());
    // depends_on from the plan as stored when it was applied (secret references left as text).
    auto doc = yaml::parse(rec_.applied_plan, "the stored applied plan");
    if (!doc) {
      out.what = doc.error().message;
      return out;
    }
    auto json = yaml::to_json(*doc);
    if (!json) {
      out.what = json.error().message;
      return out;
    }
    auto decision = engine::plan_start({rec_.applied_hashes, options_.known_ids}, *observed,
                                       options_.drift_seen, engine::depends_on_of(*json));
    if (!decision.direct()) {
      out.what = decision.compose_because;
      return out;
    }
    auto started = engine::start_existing(docker_, project, decision.steps, c_.health);
    if (!started) {
      out.what = "the direct start failed: " + started.error().message;
      return out;
    }
    out.started = true;
    for (const auto& done : started->done) out.what += (out.what.empty() ? "" : ", ") + done;
    if (out.what.empty()) out.what = "nothing left to start";
    std::vector<std::string> services;
    for (const auto& [service, hash] : rec_.applied_hashes) services.push_back(service);
    auto report = engine::wait_healthy(docker_, project, services, c_.health);
    if (!report) return std::unexpected(report.error());
    report_.health = report->services;
    if (!report->ok) out.problems = unhealthy_reasons(*report);
    return out;
  }

  // Re-applies the running (last-good) commit: verified when it was promoted, so not again. A
  // failure is not the commit's fault (it was healthy here): no rollback, no bad mark. Drift that
  // starting the existing containers puts right is corrected that way (start_directly).
  Result<PassReport> correct_drift(const std::string& commit) {
    auto id = store_.begin_attempt(c_.cluster, commit, AttemptKind::kDrift);
    if (!id) return std::unexpected(id.error());
    std::vector<std::string> why = drift_reasons();
    auto direct = start_directly();
    if (!direct) return std::unexpected(direct.error());
    why.push_back(direct->started ? "drift: started directly (" + direct->what + ")"
                                  : "drift: via compose (" + direct->what + ")");
    std::vector<std::string> problems = std::move(direct->problems);
    if (!direct->started) {
      Checkout dir(scratch(commit));
      if (auto s = export_commit(mirror_of(c_), commit, dir.path()); !s) return std::unexpected(s.error());
      auto r = render_commit(c_, dir.path());
      if (!r) {
        problems.push_back("render: " + r.error().message);
      } else {
        auto reasons = apply_and_wait(c_, docker_, r->applied, report_.health);
        if (!reasons) return std::unexpected(reasons.error());
        problems = std::move(*reasons);
      }
    }
    PassOutcome what = problems.empty() ? PassOutcome::kCorrected : PassOutcome::kFailed;
    why.insert(why.end(), problems.begin(), problems.end());
    if (auto s = store_.finish_attempt(*id, what, why); !s) return std::unexpected(s.error());
    return outcome(what, why);
  }

  // The restart budget is spent: the drift stays, and the attempt says so.
  Result<PassReport> hold_drift(const std::string& commit) {
    std::vector<std::string> why = drift_reasons();
    why.push_back(options_.hold);
    auto id = store_.begin_attempt(c_.cluster, commit, AttemptKind::kDrift);
    if (!id) return std::unexpected(id.error());
    if (auto s = store_.finish_attempt(*id, PassOutcome::kHeld, why); !s) return std::unexpected(s.error());
    return outcome(PassOutcome::kHeld, why);
  }

  // The desired commit is marked bad: keep (or restore) the last-good state.
  Result<PassReport> keep_last_good() {
    std::vector<std::string> why{fmt::format("{} is marked bad (lucidctl reconcile --retry to try it again)",
                                             report_.commit.substr(0, 12))};
    if (rec_.last_good.empty()) return outcome(PassOutcome::kSkippedBad, why);
    if (rec_.applied == rec_.last_good) {
      auto same = engine_matches(docker_, c_.cluster, rec_.applied_hashes);
      if (!same) return std::unexpected(same.error());
      if (*same) return outcome(PassOutcome::kSkippedBad, why);
    }
    auto id = store_.begin_attempt(c_.cluster, rec_.last_good, AttemptKind::kRollback);
    if (!id) return std::unexpected(id.error());
    auto reasons = restore_last_good();
    if (!reasons) return std::unexpected(reasons.error());
    PassOutcome what = reasons->empty() ? PassOutcome::kRepaired : PassOutcome::kFailed;
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
    if (auto s = keep_refs(rec_.last_good, {}); !s) return std::unexpected(s.error());
    for (auto& x : *reasons) x = "rollback: " + x;
    return reasons;
  }

  // `allowed`: the overrides that let this commit through (recorded with the attempt).
  Result<PassReport> deploy(const std::string& commit, std::vector<std::string> allowed) {
    auto id = store_.begin_attempt(c_.cluster, commit, AttemptKind::kDeploy);
    if (!id) return std::unexpected(id.error());
    auto finish = [&](PassOutcome what, std::vector<std::string> reasons, bool mark) -> Result<PassReport> {
      auto s = store_.transaction([&]() -> Status {
        if (mark)
          if (auto m = store_.mark_bad(c_.cluster, commit,
                                       reasons.empty() ? std::string(to_string(what)) : reasons.front());
              !m)
            return m;
        return store_.finish_attempt(*id, what, reasons);
      });
      if (!s) return std::unexpected(s.error());
      return outcome(what, std::move(reasons));
    };

    auto refused = verifier_.check_commit(mirror_of(c_).string(), commit);
    if (!refused) return finish(PassOutcome::kFailed, {"verify: " + refused.error().message}, false);
    if (!refused->empty()) return finish(PassOutcome::kRefused, *refused, true);

    Checkout dir(scratch(commit));
    if (auto s = export_commit(mirror_of(c_), commit, dir.path()); !s) return std::unexpected(s.error());
    // What vouches for this commit's images and privileges is what the site trusted before it.
    Checkout trusted_dir(scratch(rec_.last_good.empty() ? commit : rec_.last_good).string() + "-trusted");
    auto trusted = trusted_policies(trusted_dir.path());
    if (!trusted) return std::unexpected(trusted.error());
    if (verifier_.checks_images() && !trusted->signers_dir)
      return finish(PassOutcome::kFailed,
                    {fmt::format("no trusted image signers in {}: before the first promotion give the "
                                 "operator's copy of policies/signers/ with --image-signers DIR",
                                 trusted->source)},
                    false);
    if (auto s = overlay_trusted_policies(dir.path(), *trusted); !s) return std::unexpected(s.error());
    if (auto lint = lint_gate(dir.path(), verifier_.checks_images()); !lint.empty())
      return finish(PassOutcome::kRefused, std::move(lint), true);
    auto r = render_commit(c_, dir.path());
    if (!r) return finish(PassOutcome::kRefused, {"render: " + r.error().message}, true);
    if (empty_plan(r->applied) && !c_.allow_empty)
      return finish(PassOutcome::kRefused,
                    {fmt::format("empty plan: cluster {} would run no service, and applying it removes every "
                                 "container; --allow-empty to accept it",
                                 c_.cluster)},
                    false);
    if (verifier_.checks_images())
      if (auto foreign = foreign_images(r->applied, c_.canonical_registry); !foreign.empty())
        return finish(PassOutcome::kRefused, std::move(foreign), true);
    auto images = verifier_.check_plan(dir.path(), c_.cluster, r->applied);
    if (!images) return finish(PassOutcome::kFailed, {"verify images: " + images.error().message}, false);
    if (!images->empty()) return finish(PassOutcome::kRefused, *images, true);

    auto reasons = apply_and_wait(c_, docker_, r->applied, report_.health);
    if (!reasons) return std::unexpected(reasons.error());
    if (reasons->empty()) {
      auto s = store_.transaction([&]() -> Status {
        if (auto a = store_.set_applied(c_.cluster, commit, r->stored, r->applied.service_hashes); !a)
          return a;
        if (auto g = store_.set_last_good(c_.cluster, commit, r->stored); !g) return g;
        return store_.finish_attempt(*id, PassOutcome::kPromoted, allowed);
      });
      if (!s) return std::unexpected(s.error());
      if (auto k = keep_refs(commit, commit); !k) return std::unexpected(k.error());
      return outcome(PassOutcome::kPromoted, std::move(allowed));
    }
    if (auto s = store_.set_applied(c_.cluster, commit, r->stored, r->applied.service_hashes); !s)
      return std::unexpected(s.error());
    if (auto k = keep_refs(commit, {}); !k) return std::unexpected(k.error());
    reasons->insert(reasons->begin(), allowed.begin(), allowed.end());
    if (rec_.last_good.empty()) return finish(PassOutcome::kFailed, *reasons, true);
    auto back = restore_last_good();
    if (!back) return std::unexpected(back.error());
    reasons->insert(reasons->end(), back->begin(), back->end());
    return finish(back->empty() ? PassOutcome::kRolledBack : PassOutcome::kFailed, *reasons, true);
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

}  // namespace lucid::reconcile
