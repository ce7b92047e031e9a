#include "lucid/rollout/fleet_definition.h"

#include <ctime>

#include <fmt/format.h>

#include "lucid/base/time.h"
#include "lucid/yaml/loader.h"

namespace lucid::rollout {

namespace {

using yaml::Node;

constexpr const char* kClustersFile = "clusters/clusters.yaml";
constexpr const char* kWaiversFile = "policies/waivers.yaml";

Status bad(const yaml::Mark& at, const std::string& what) {
  return fail(ErrorKind::kInvalidArgument, fmt::format("{}: {}", at.str(), what));
}

std::string text_of(const Node* n) {
  return n != nullptr && n->is_scalar() ? n->value : std::string();
}

std::vector<std::string> list_of(const Node* n) {
  std::vector<std::string> out;
  if (n != nullptr && n->is_sequence())
    for (const auto& i : n->items)
      if (i.is_scalar()) out.push_back(i.value);
  return out;
}

// `soak: 10m`, `stale_after: 5m`: a positive duration in whole seconds.
Status duration_field(const Node& wave, const char* key, std::chrono::seconds& into) {
  const Node* v = wave.find(key);
  if (v == nullptr) return {};
  auto d = v->is_scalar() ? parse_duration(v->value) : std::nullopt;
  if (!d || d->count() <= 0)
    return bad(v->mark, fmt::format("`{}` must be a duration such as 30s, 10m or 1h", key));
  into = std::chrono::duration_cast<std::chrono::seconds>(*d);
  if (into.count() == 0) into = std::chrono::seconds(1);
  return {};
}

std::string full_ref(const std::string& ref) {
  return ref.starts_with("refs/") ? ref : "refs/heads/" + ref;
}

Status parse_waivers(std::string_view text, FleetDefinition& out) {
  if (text.empty()) return {};
  auto root = yaml::parse(text, kWaiversFile);
  if (!root) return std::unexpected(root.error());
  const Node* gates = root->is_mapping() ? root->find("gates") : nullptr;
  if (gates == nullptr || gates->is_null()) return {};
  if (!gates->is_sequence()) return bad(gates->mark, "`gates` must be a list of gate waivers");
  for (const auto& g : gates->items) {
    GateWaiver w{text_of(g.find("wave")), text_of(g.find("gate")), text_of(g.find("reason")),
                 text_of(g.find("expires"))};
    if (w.wave.empty() || w.gate.empty() || w.reason.empty())
      return bad(g.mark, "a gate waiver needs wave, gate, reason and expires");
    if (!is_iso_date(w.expires))
      return bad(g.mark,
                 fmt::format("gate waiver of {} on {}: `expires` must be a date YYYY-MM-DD", w.gate, w.wave));
    out.waivers.push_back(std::move(w));
  }
  return {};
}

}  // namespace

bool GateWaiver::active(std::int64_t now) const {
  // The waiver holds through its expiry day (UTC): compare dates as text.
  const std::string today = rfc3339(static_cast<std::time_t>(now)).substr(0, 10);
  return today <= expires;
}

const WaveDefinition* FleetDefinition::find_wave(std::string_view name) const {
  for (const auto& w : waves)
    if (w.name == name) return &w;
  return nullptr;
}

const WaveDefinition* FleetDefinition::previous_wave(std::string_view name) const {
  for (std::size_t i = 1; i < waves.size(); ++i)
    if (waves[i].name == name) return &waves[i - 1];
  return nullptr;
}

const WaveDefinition* FleetDefinition::next_wave(std::string_view name) const {
  for (std::size_t i = 0; i + 1 < waves.size(); ++i)
    if (waves[i].name == name) return &waves[i + 1];
  return nullptr;
}

std::vector<const ClusterDefinition*> FleetDefinition::clusters_of(std::string_view wave) const {
  std::vector<const ClusterDefinition*> out;
  for (const auto& c : clusters)
    if (c.wave == wave) out.push_back(&c);
  return out;
}

Result<FleetDefinition> parse_fleet(std::string_view clusters_yaml, std::string_view waivers_yaml) {
  auto root = yaml::parse(clusters_yaml, kClustersFile);
  if (!root) return std::unexpected(root.error());
  if (!root->is_mapping()) return std::unexpected(bad(root->mark, "must be a mapping").error());
  FleetDefinition out;
  const Node* waves = root->find("waves");
  if (waves == nullptr || !waves->is_sequence() || waves->items.empty())
    return std::unexpected(bad(root->mark, "`waves` must list at least one wave").error());
  for (const auto& w : waves->items) {
    WaveDefinition d;
    d.name = text_of(w.find("name"));
    d.ref = text_of(w.find("ref"));
    if (d.name.empty() || d.ref.empty())
      return std::unexpected(bad(w.mark, "every wave needs a `name` and a `ref`").error());
    if (out.find_wave(d.name) != nullptr)
      return std::unexpected(bad(w.mark, fmt::format("wave `{}` is defined twice", d.name)).error());
    d.ref = full_ref(d.ref);
    d.gates = list_of(w.find("gates"));
    if (auto s = duration_field(w, "soak", d.soak); !s) return std::unexpected(s.error());
    if (auto s = duration_field(w, "stale_after", d.stale_after); !s) return std::unexpected(s.error());
    if (const Node* budget = w.find("anchor_latency_budget"); budget != nullptr) {
      auto parsed = budget->is_scalar() ? parse_duration(budget->value) : std::nullopt;
      if (!parsed || parsed->count() <= 0)
        return std::unexpected(
            bad(budget->mark, "`anchor_latency_budget` must be a duration such as 500ms, 5s or 1m").error());
      d.anchor_latency_budget = *parsed;
    }
    out.waves.push_back(std::move(d));
  }
  if (const Node* clusters = root->find("clusters"); clusters != nullptr && clusters->is_sequence()) {
    for (const auto& c : clusters->items) {
      ClusterDefinition d;
      d.id = text_of(c.find("id"));
      d.wave = text_of(c.find("wave"));
      d.profiles = list_of(c.find("profiles"));
      d.status_url = text_of(c.find("status"));
      if (d.id.empty()) return std::unexpected(bad(c.mark, "a cluster without an `id`").error());
      if (out.find_wave(d.wave) == nullptr)
        return std::unexpected(
            bad(c.mark, fmt::format("cluster `{}` names wave `{}`, which is not defined", d.id, d.wave))
                .error());
      out.clusters.push_back(std::move(d));
    }
  }
  if (auto s = parse_waivers(waivers_yaml, out); !s) return std::unexpected(s.error());
  return out;
}

Result<std::string> wave_ref_of(std::string_view clusters_yaml, std::string_view cluster) {
  auto fleet = parse_fleet(clusters_yaml, {});
  if (!fleet) return std::unexpected(fleet.error());
  for (const auto& c : fleet->clusters)
    if (c.id == cluster) return fleet->find_wave(c.wave)->ref;
  return fail(
      ErrorKind::kNotFound,
      fmt::format("{}: no cluster `{}` (the site's --cluster must be listed there)", kClustersFile, cluster));
}

}  // namespace lucid::rollout
