// Gate evaluation (SPEC-4 "Rollout & waves"): whether one gate of a wave holds for one commit on
// one cluster, judged from what the site reported over time, with the evidence. Pure: the caller
// gives the observations and the clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/rollout/fleet_definition.h"
#include "lucid/rollout/observation.h"

namespace lucid::rollout {

enum class GateState {
  kHolds,    // held for the commit for at least the soak time
  kSoaking,  // holds now, not yet for the soak time
  kPending,  // the site does not run the commit (yet): not applied, or acceptance not run for it
  kFails,    // does not hold (evidence says why)
  kNoData,   // the site reports nothing this gate can judge
  kStale,    // the site has not reported within stale_after
  kWaived,   // no data, waived by policies/waivers.yaml (reason and expiry in the evidence)
};
std::string_view to_string(GateState s);
// Whether promotion past this gate is allowed (holds or waived).
bool passes(GateState s);

struct GateResult {
  std::string gate, cluster;
  GateState state = GateState::kNoData;
  std::string reason;  // one line: what holds or what is missing
  nlohmann::ordered_json evidence;
};

// Evaluates every gate of `wave` for `commit` on `cluster`. `history` holds the cluster's
// observations oldest first (the newest last); `now` is Unix seconds. A missing or unreachable newest
// observation older than the wave's stale_after makes every gate kStale.
std::vector<GateResult> evaluate_gates(const WaveDefinition& wave, const std::string& cluster,
                                       const std::string& commit, const std::vector<Observation>& history,
                                       const std::vector<GateWaiver>& waivers, std::int64_t now);

nlohmann::ordered_json to_json(const GateResult& r);

}  // namespace lucid::rollout
