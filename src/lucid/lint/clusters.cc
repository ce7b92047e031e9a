// clusters/*: clusters.yaml has unique ids with existing clusters/<id>/ directories, only SPEC-4's
// waves in SPEC order, clusters on defined waves, each cluster's profiles equal to its .env PROFILES,
// and the rollout fields the console reads (soak, stale_after, status) well-formed.
#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

#include "lucid/base/time.h"
#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

// SPEC-4 "Rollout & waves", in order.
constexpr std::string_view kWaves[] = {"canary", "core", "edge", "admin", "obs"};

int wave_index(std::string_view w) {
  auto it = std::find(std::begin(kWaves), std::end(kWaves), w);
  return it == std::end(kWaves) ? -1 : static_cast<int>(it - std::begin(kWaves));
}

void check_waves(const Context& ctx, Sink& sink) {
  int prev = -1;
  std::string prev_name;
  std::set<std::string> seen;
  for (const auto& w : ctx.model.waves) {
    int i = wave_index(w.name.value);
    if (i < 0) {
      sink.add(w.name.mark, "clusters/unknown-wave",
               fmt::format("wave '{}' is not a SPEC-4 wave", w.name.value),
               "waves are canary, core, edge, admin, obs");
      continue;
    }
    if (!seen.insert(w.name.value).second) {
      sink.add(w.name.mark, "clusters/wave-order", fmt::format("wave '{}' is listed twice", w.name.value),
               "list each wave once");
      continue;
    }
    if (i < prev)
      sink.add(w.name.mark, "clusters/wave-order",
               fmt::format("wave '{}' is listed after '{}'", w.name.value, prev_name),
               "list waves in rollout order: canary, core, edge, admin, obs");
    if (i > prev) {
      prev = i;
      prev_name = w.name.value;
    }
  }
}

// The fields the console reads (rollout/fleet_definition.h): a typo here would only show when an
// operator promotes.
void check_rollout_fields(const Context& ctx, Sink& sink) {
  for (const auto& w : ctx.model.waves) {
    for (const auto* field : {&w.soak, &w.stale_after, &w.anchor_latency_budget})
      if (*field) {
        auto d = parse_duration((*field)->value);
        if (!d || d->count() <= 0)
          sink.add((*field)->mark, "clusters/rollout-fields",
                   fmt::format("wave '{}': '{}' is not a duration", w.name.value, (*field)->value),
                   "write a positive duration such as 500ms, 30s, 10m or 1h");
      }
    // Without a budget the gate can only ever say "nothing to compare with" and block the wave.
    for (const auto& gate : w.gates)
      if (gate.value == "anchor-latency" && !w.anchor_latency_budget)
        sink.add(
            gate.mark, "clusters/rollout-fields",
            fmt::format("wave '{}' has the anchor-latency gate but no anchor_latency_budget", w.name.value),
            "add `anchor_latency_budget: 10s` (the most the p95 manifest-to-anchor latency may be) to the "
            "wave");
  }
  for (const auto& c : ctx.model.clusters)
    if (c.status && !c.status->value.starts_with("http://") && !c.status->value.starts_with("https://"))
      sink.add(c.status->mark, "clusters/rollout-fields",
               fmt::format("cluster '{}': status '{}' is not an http(s) URL", c.id.value, c.status->value),
               "the URL of the site reconciler's /status, e.g. http://<onion>.onion:9464/status");
}

}  // namespace

void check_clusters(const Context& ctx, Sink& sink) {
  check_waves(ctx, sink);
  check_rollout_fields(ctx, sink);
  std::set<std::string> waves;
  for (const auto& w : ctx.model.waves) waves.insert(w.name.value);
  std::unordered_set<std::string> ids;
  for (const auto& c : ctx.model.clusters) {
    if (!ids.insert(c.id.value).second)
      sink.add(c.id.mark, "clusters/duplicate-id", fmt::format("cluster id '{}' is used twice", c.id.value),
               "cluster ids name directories and secrets files; make them unique");
    std::error_code ec;
    if (!std::filesystem::is_directory(ctx.model.repo / "clusters" / c.id.value, ec))
      sink.add(c.id.mark, "clusters/missing-dir", fmt::format("clusters/{}/ does not exist", c.id.value),
               fmt::format("create clusters/{}/.env from another cluster's", c.id.value));
    if (!waves.contains(c.wave.value))
      sink.add(c.wave.mark, "clusters/unknown-wave",
               fmt::format("cluster '{}' is on wave '{}', which is not defined under waves:", c.id.value,
                           c.wave.value),
               "use one of the waves listed in clusters.yaml");
    if (!c.env) continue;
    std::optional<std::string> env_profiles;
    for (const auto& e : c.env->entries)
      if (e.key == "PROFILES" && e.value) env_profiles = *e.value;
    if (!env_profiles) continue;  // env/keys reports it
    auto from_env = split_list(*env_profiles);
    std::set<std::string> a(from_env.begin(), from_env.end()), b;
    for (const auto& p : c.profiles) b.insert(p.value);
    if (a != b)
      sink.add(c.profiles.empty() ? c.id.mark : c.profiles.front().mark, "clusters/profiles-mismatch",
               fmt::format("cluster '{}': profiles [{}] differ from PROFILES={} in {}", c.id.value,
                           fmt::join(b, ", "), *env_profiles, c.env_path),
               "make clusters.yaml `profiles` and the .env PROFILES name the same profiles");
  }
}

}  // namespace lucid::lint
