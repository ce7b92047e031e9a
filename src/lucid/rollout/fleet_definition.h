// The fleet as one commit of the config repo defines it: waves in rollout order (ref, gates, soak,
// stale bound), clusters (wave, profiles, where their status is served) and the gate waivers of
// policies/waivers.yaml. Read from file text, so that the console can take it from any commit of
// its clone without a checkout.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::rollout {

inline constexpr std::chrono::seconds kDefaultSoak{600};        // 10m
inline constexpr std::chrono::seconds kDefaultStaleAfter{300};  // 5m

struct WaveDefinition {
  std::string name, ref;
  std::vector<std::string> gates;
  std::chrono::seconds soak = kDefaultSoak;               // `soak:` — how long a gate must hold
  std::chrono::seconds stale_after = kDefaultStaleAfter;  // `stale_after:` — a report older is stale
  // `anchor_latency_budget:` — the most the p95 of manifest-to-anchor latency may be for the
  // `anchor-latency` gate to hold (none: that gate has nothing to compare with and says so).
  std::optional<std::chrono::milliseconds> anchor_latency_budget;
};

struct ClusterDefinition {
  std::string id, wave;
  std::vector<std::string> profiles;
  std::string status_url;  // `status:` — the site reconciler's /status (empty: not polled)
};

// `gates:` of policies/waivers.yaml: a gate that may be missing data on a wave's clusters until
// `expires` (YYYY-MM-DD, the waiver holds through that day, UTC).
struct GateWaiver {
  std::string wave, gate, reason, expires;
  bool active(std::int64_t now) const;  // not yet expired at Unix time `now`
};

struct FleetDefinition {
  std::string commit;  // the commit it was read from
  std::vector<WaveDefinition> waves;
  std::vector<ClusterDefinition> clusters;
  std::vector<GateWaiver> waivers;

  const WaveDefinition* find_wave(std::string_view name) const;
  const WaveDefinition* previous_wave(std::string_view name) const;  // nullptr for the first
  const WaveDefinition* next_wave(std::string_view name) const;      // nullptr for the last
  std::vector<const ClusterDefinition*> clusters_of(std::string_view wave) const;
};

// From clusters/clusters.yaml and (optional, "" when absent) policies/waivers.yaml text. Errors name
// the file, line and field.
Result<FleetDefinition> parse_fleet(std::string_view clusters_yaml, std::string_view waivers_yaml);

// The ref cluster `cluster` follows per `clusters_yaml` (its wave's `ref`, made a full ref).
Result<std::string> wave_ref_of(std::string_view clusters_yaml, std::string_view cluster);

}  // namespace lucid::rollout
