// One reconcile pass for one cluster (issue 6): fetch the tracked ref into the local mirror, verify
// the commit (signature, then the plan), render, apply on `lucid-<cluster>`, wait on health, then
// promote (last-good = commit) or roll back (re-apply last-good, wait, mark the commit bad). A bad
// commit is not retried until a newer one arrives or `retry` names it. Idempotent: when the commit
// is already applied and the containers carry the plan's config hashes, nothing is touched.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/engine/compose_apply.h"
#include "lucid/engine/docker_client.h"
#include "lucid/engine/drift.h"
#include "lucid/engine/health.h"
#include "lucid/reconcile/outcome.h"
#include "lucid/reconcile/plan_verifier.h"
#include "lucid/reconcile/state_store.h"
#include "lucid/render/render.h"

namespace lucid::reconcile {

struct ReconcileConfig {
  std::string cluster;
  std::string repo_url;  // local path or file:// (any URL git fetches)
  // The ref to follow. Unset: the cluster's wave ref from clusters/clusters.yaml — of the last-good
  // commit once there is one (a new commit cannot move its own site to another wave before it is
  // promoted), else of the remote's default branch.
  std::optional<std::string> branch;
  std::string socks_proxy;           // "host:port" (TOR_SOCKS): fetch only through it, fail-closed
  std::filesystem::path state_dir;   // holds mirror.git/ and scratch checkouts
  std::optional<std::string> retry;  // a commit marked bad that may be tried again
  // Images named under `canonical_registry` are pulled from `registry_mirror` ("host:port", the
  // mirror the images were verified against) by the same path and digest; empty: as written.
  std::string registry_mirror;
  std::string canonical_registry = "registry.lucid.local:5000";
  engine::ApplyOptions apply;
  engine::HealthOptions health;
  // Correct every drift with Compose, never by starting the existing containers directly (the
  // benchmark's peer: `lucidctl reconcile --drift-via-compose`, a hidden option).
  bool drift_via_compose = false;
  // Makes the resolver for secret references of a checked-out commit (its secrets/ directory).
  // Unset: a plan that references secrets is refused (never applied with the reference text).
  std::function<std::unique_ptr<render::SecretResolver>(const std::filesystem::path& checkout)> resolver;

  // Trust (issue 12; docs/operations.md "What a commit may not decide for itself").
  // A fetched commit must descend from the last-good one; this one may replace it all the same.
  std::optional<std::string> allow_rewind;
  // A new commit whose committer time is older than this is refused as stale (unset: no limit).
  std::optional<std::chrono::seconds> max_commit_age;
  // Apply a plan without services (it removes every container of the cluster).
  bool allow_empty = false;
  // Image signer keys and privileged policy until the cluster has a last-good commit (from then on,
  // those of the last-good commit): the operator's copies of policies/signers/ and privileged.yaml.
  std::optional<std::filesystem::path> image_signers;
  std::optional<std::filesystem::path> privileged_policy;
};

// What the watch loop hands one pass.
struct PassOptions {
  // The drift that triggered the pass ("web: stopped"); recorded with the attempt.
  std::vector<std::string> drift;
  // The same drift as the engine reported it, and the ids of the containers the last apply left
  // (both from the watch; empty for a pass it did not start). With them a correction can start the
  // existing containers directly instead of running Compose (engine/start_existing.h).
  std::vector<engine::Drift> drift_seen;
  std::set<std::string> known_ids;
  // Non-empty: the restart budget is spent, so drift of the running commit is left in place (the
  // pass records `hold` as the reason); a newer commit still deploys.
  std::string hold;
};

struct PassReport {
  std::string ref;               // the ref followed (refs/heads/…)
  std::string commit;            // fetched from the tracked ref (the last-good one when the fetch failed)
  std::int64_t commit_time = 0;  // its committer time (Unix seconds; 0 unknown)
  std::string fetch_error;       // the remote could not be fetched: the pass kept the last-good commit
  PassOutcome outcome = PassOutcome::kUnchanged;
  std::vector<std::string> reasons;
  std::vector<engine::ServiceHealth> health;  // of the last wait, when there was one
};

// Runs one pass. Errors are for what prevents any decision (fetch failed before anything was
// promoted, store unwritable, engine unreachable); refusals, failed applies and rollbacks are
// outcomes, recorded in `store`. While the remote cannot be fetched, drift of the last-good commit
// is still corrected from the local mirror.
// A drift repair re-applies the last-good commit as verified when it was promoted; when it does not
// become healthy the pass fails (backed off by the watch loop) without marking the commit bad.
Result<PassReport> reconcile_once(const ReconcileConfig& config, const PlanVerifier& verifier,
                                  StateStore& store, const engine::DockerClient& docker,
                                  const PassOptions& options = {});

}  // namespace lucid::reconcile
