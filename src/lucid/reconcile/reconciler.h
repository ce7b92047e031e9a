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
  engine::ApplyOptions apply;
  engine::HealthOptions health;
  // Makes the resolver for secret references of a checked-out commit (its secrets/ directory).
  // Unset: a plan that references secrets is refused (never applied with the reference text).
  std::function<std::unique_ptr<render::SecretResolver>(const std::filesystem::path& checkout)> resolver;
};

struct PassReport {
  std::string commit;  // fetched from the tracked ref
  // "unchanged", "promoted", "rolled-back", "refused", "failed", "skipped-bad", "repaired"
  std::string outcome;
  std::vector<std::string> reasons;
  std::vector<engine::ServiceHealth> health;  // of the last wait, when there was one
};

// Runs one pass. Errors are for what prevents any decision (fetch failed, store unwritable, engine
// unreachable); refusals, failed applies and rollbacks are outcomes, recorded in `store`.
Result<PassReport> reconcile_once(const ReconcileConfig& config, const PlanVerifier& verifier,
                                  StateStore& store, const engine::DockerClient& docker);

}  // namespace lucid::reconcile
