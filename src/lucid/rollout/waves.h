// Waves: what each runs, whether its gates hold, and the operator's four actions — promote (fast-
// forward the wave's ref), pause and resume (a tag in the repo), rollback (a signed commit that rolls
// the wave's ref forward to older content, so no site fights its own bad-commit memory). The CLI
// (`lucidctl wave`) and the web console run these same functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/rollout/config_repo.h"
#include "lucid/rollout/fleet_definition.h"
#include "lucid/rollout/gates.h"
#include "lucid/rollout/observation.h"

namespace lucid::rollout {

// A cluster's observations, oldest first (the console's history store).
using History = std::function<std::vector<Observation>(const std::string& cluster)>;

struct ClusterView {
  std::string id, wave, status_url;
  std::optional<Observation> latest;  // newest observation, when any
  bool stale = true;                  // no reachable report within the wave's stale_after
  std::int64_t report_age = -1;       // seconds since the newest reachable report (-1: never)
  std::vector<GateResult> gates;      // the wave's gates for the wave's commit
};

struct WaveView {
  WaveDefinition definition;
  std::string commit;   // what the wave's ref points at ("" when the ref does not exist)
  std::string subject;  // its first message line
  std::optional<Pause> paused;
  std::vector<ClusterView> clusters;
  bool gates_pass = false;  // every gate passes on every cluster (and there is one)
};

struct FleetView {
  std::string config_commit;  // the commit the definition was read from (the default branch)
  std::int64_t now = 0;
  std::vector<WaveView> waves;
};

// Reads the definition from the repo's default branch (after a fetch by the caller) and judges every
// wave's gates for the commit its ref points at.
Result<FleetView> fleet_view(const ConfigRepo& repo, const History& history, std::int64_t now);
nlohmann::ordered_json to_json(const FleetView& v);

struct ActionResult {
  bool done = false;                  // the repo was changed (never with dry_run)
  std::string wave, from, to;         // ref movement (to: the new commit)
  std::vector<std::string> refusals;  // why not: "gate <g> on <cluster>: <reason>", …
  std::string detail;                 // dry-run diff or what was done
  nlohmann::ordered_json to_json() const;
};

struct PromoteRequest {
  std::string wave;
  std::optional<std::string> commit;  // default: the previous wave's commit (first wave: the default branch)
  bool dry_run = false;
  std::string actor;  // who asks (recorded in messages)
};
// Fast-forwards the wave's ref to the commit when the wave is not paused, the commit descends from the
// ref's current commit, and every gate of the previous wave holds for that commit on every one of its
// clusters (for the soak time). Refusals are a result, not an error.
Result<ActionResult> promote(const ConfigRepo& repo, const History& history, const PromoteRequest& request,
                             std::int64_t now);

Result<ActionResult> pause(const ConfigRepo& repo, const std::string& wave, const std::string& reason,
                           const std::string& actor, const Signing& signing, std::int64_t now);
Result<ActionResult> resume(const ConfigRepo& repo, const std::string& wave);

struct RollbackRequest {
  std::string wave;
  std::optional<std::string> to;  // default: the wave's clusters' common last-good commit older than
                                  // the ref, else the ref's first parent
  bool dry_run = false;
  std::string actor;
  Signing signing;
};
Result<ActionResult> rollback(const ConfigRepo& repo, const History& history, const RollbackRequest& request,
                              std::int64_t now);

// After promotion: a wave whose commit fails a gate on one of its clusters (rolled back there, marked
// bad, unhealthy) pauses the next wave — once per wave and commit (`done` remembers, so an operator's
// resume is not undone at the next poll). Returns the waves it paused.
Result<std::vector<std::string>> pause_after_failures(const ConfigRepo& repo, const FleetView& view,
                                                      const Signing& signing, std::int64_t now,
                                                      std::set<std::string>& done);

// The definition read from `commit` of the repo (clusters.yaml and policies/waivers.yaml).
Result<FleetDefinition> load_definition(const ConfigRepo& repo, const std::string& commit);
// The same from the default branch (what every view and action judges by; `commit` says which).
Result<FleetDefinition> current_definition(const ConfigRepo& repo);

}  // namespace lucid::rollout
