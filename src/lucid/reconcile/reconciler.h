// One reconcile pass for one cluster (issue 6): fetch the tracked ref into the local mirror, verify
// the commit (signature, then the plan), render, apply on `lucid-<cluster>`, wait on health, then
// promote (last-good = commit) or roll back (re-apply last-good, wait, mark the commit bad). A bad
// commit is not retried until a newer one arrives or `retry` names it. Idempotent: when the commit
// is already applied and the containers carry the plan's config hashes, nothing is touched.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/engine/compose_apply.h"
#include "lucid/engine/docker_client.h"
#include "lucid/engine/health.h"
#include "lucid/reconcile/plan_verifier.h"
#include "lucid/reconcile/state_store.h"
#include "lucid/render/render.h"

namespace lucid::reconcile {

struct ReconcileConfig {
  std::string cluster;
  std::string repo_url;              // local path or file:// (any URL git fetches)
  std::string branch = "main";       // see tracked_ref()
  std::string socks_proxy;           // "host:port" (TOR_SOCKS): fetch only through it, fail-closed
  std::filesystem::path state_dir;   // holds mirror.git/ and scratch checkouts
  std::optional<std::string> retry;  // a commit marked bad that may be tried again
  // Images named under `canonical_registry` are pulled from `registry_mirror` ("host:port", the
  // mirror the images were verified against) by the same path and digest; empty: as written.
  std::string registry_mirror;
  std::string canonical_registry = "registry.lucid.local:5000";
  engine::ApplyOptions apply;
  engine::HealthOptions health;
  // Makes the resolver for secret references of a checked-out commit (its secrets/ directory).
  // Unset: a plan that references secrets is refused (never applied with the reference text).
  std::function<std::unique_ptr<render::SecretResolver>(const std::filesystem::path& checkout)> resolver;
};

// What the watch loop hands one pass.
struct PassOptions {
  // The drift that triggered the pass ("web: stopped"); recorded with the attempt.
  std::vector<std::string> drift;
  // Non-empty: the restart budget is spent, so drift of the running commit is left in place (the
  // pass records `hold` as the reason); a newer commit still deploys.
  std::string hold;
};

struct PassReport {
  std::string commit;  // fetched from the tracked ref
  // "unchanged", "promoted", "corrected" (drift of the last-good commit re-applied), "held" (drift
  // left by the restart budget), "rolled-back", "refused", "failed", "skipped-bad", "repaired" (the
  // last-good commit restored while the newest is marked bad)
  std::string outcome;
  std::vector<std::string> reasons;
  std::vector<engine::ServiceHealth> health;  // of the last wait, when there was one
};

// Runs one pass. Errors are for what prevents any decision (fetch failed, store unwritable, engine
// unreachable); refusals, failed applies and rollbacks are outcomes, recorded in `store`.
// A drift repair re-applies the last-good commit as verified when it was promoted; when it does not
// become healthy the pass fails (backed off by the watch loop) without marking the commit bad.
Result<PassReport> reconcile_once(const ReconcileConfig& config, const PlanVerifier& verifier,
                                  StateStore& store, const engine::DockerClient& docker,
                                  const PassOptions& options = {});

// Whether a pass with this outcome left the cluster running its last-good commit, healthy.
bool healthy_outcome(const std::string& outcome);

}  // namespace lucid::reconcile
