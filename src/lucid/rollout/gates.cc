#include "lucid/rollout/gates.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/time.h"

namespace lucid::rollout {

namespace {

using Json = nlohmann::json;

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string short_id(const std::string& commit) {
  return commit.substr(0, 12);
}

// The newest observation in which the site answered, or nullptr.
const Observation* newest_reachable(const std::vector<Observation>& history) {
  for (auto it = history.rbegin(); it != history.rend(); ++it)
    if (it->reachable && it->status.is_object()) return &*it;
  return nullptr;
}

// Services that are not healthy (or running, without a healthcheck) with their plan's config hash.
std::vector<std::string> unhealthy_services(const Json& status, std::size_t& total) {
  std::vector<std::string> out;
  total = 0;
  auto it = status.find("services");
  if (it == status.end() || !it->is_array()) return {"no service list in the report"};
  for (const auto& s : *it) {
    ++total;
    const std::string health = str(s, "health"), state = str(s, "state"), name = str(s, "service");
    const bool up = health == "healthy" || (health.empty() && state == "running");
    const bool current = s.value("config_current", false);
    if (!up)
      out.push_back(fmt::format("{} {}", name, health.empty() ? state : health));
    else if (!current)
      out.push_back(fmt::format("{} config hash not current", name));
  }
  if (total == 0) out.push_back("no services running");
  return out;
}

bool runs_commit_healthy(const Json& status, const std::string& commit) {
  std::size_t total = 0;
  return str(status, "last_good") == commit && str(status, "applied") == commit &&
         unhealthy_services(status, total).empty();
}

bool is_bad(const Json& status, const std::string& commit) {
  auto it = status.find("bad_commits");
  if (it == status.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const Json& c) { return c.is_string() && c == commit; });
}

// The reasons of the newest attempt for `commit` that did not end well (rolled back, refused, …).
std::string failed_attempt(const Json& status, const std::string& commit) {
  auto it = status.find("attempts");
  if (it == status.end() || !it->is_array()) return {};
  for (const auto& a : *it) {
    if (str(a, "commit") != commit) continue;
    const std::string outcome = str(a, "outcome");
    if (outcome == "promoted" || outcome.empty()) return {};
    std::string why = outcome;
    if (auto r = a.find("reasons"); r != a.end() && r->is_array() && !r->empty() && (*r)[0].is_string())
      why += ": " + (*r)[0].get<std::string>();
    return why;
  }
  return {};
}

GateResult healthchecks(const WaveDefinition& wave, const std::string& commit,
                        const std::vector<Observation>& history, const Observation& latest,
                        std::int64_t now) {
  GateResult r;
  const Json& s = latest.status;
  r.evidence = {{"commit", commit},
                {"last_good", str(s, "last_good")},
                {"applied", str(s, "applied")},
                {"soak_seconds", wave.soak.count()}};
  if (is_bad(s, commit)) {
    r.state = GateState::kFails;
    const std::string why = failed_attempt(s, commit);
    r.reason = fmt::format("{} is marked bad on the site{}{}", short_id(commit), why.empty() ? "" : " (",
                           why.empty() ? "" : why + ")");
    return r;
  }
  if (str(s, "last_good") != commit || str(s, "applied") != commit) {
    const std::string why = failed_attempt(s, commit);
    r.state = why.empty() ? GateState::kPending : GateState::kFails;
    r.reason = why.empty()
                   ? fmt::format("runs {}, not {} yet", short_id(str(s, "last_good")), short_id(commit))
                   : fmt::format("{} did not deploy: {}", short_id(commit), why);
    return r;
  }
  std::size_t total = 0;
  auto sick = unhealthy_services(s, total);
  r.evidence["services"] = total;
  r.evidence["unhealthy"] = sick;
  if (!sick.empty()) {
    r.state = GateState::kFails;
    r.reason = fmt::format("{} of {} service(s) not healthy: {}", sick.size(), total, sick.front());
    return r;
  }
  // Since when the commit has held: its promotion on the site, moved past any drift correction the
  // site recorded and past any report of the console's own in which it did not hold.
  std::int64_t since = parse_rfc3339(str(s, "last_good_since")).value_or(0);
  if (since == 0)  // an older site without last_good_since: the console's first sight of it
    for (const auto& o : history)
      if (o.reachable && runs_commit_healthy(o.status, commit)) {
        since = o.first_seen != 0 ? o.first_seen : o.polled_at;
        break;
      }
  if (auto d = s.find("drift_corrections"); d != s.end() && d->is_array())
    for (const auto& a : *d) {
      auto t = parse_rfc3339(str(a, "finished")).value_or(parse_rfc3339(str(a, "started")).value_or(0));
      if (t > since) {
        since = t;
        r.evidence["last_drift"] = str(a, "started");
      }
    }
  for (const auto& o : history)
    if (o.reachable && o.polled_at >= since && !runs_commit_healthy(o.status, commit))
      since = o.polled_at + 1;
  r.evidence["holding_since"] = since > 0 ? rfc3339(static_cast<std::time_t>(since)) : "";
  const std::int64_t held = since > 0 ? std::max<std::int64_t>(0, now - since) : 0;
  r.evidence["held_seconds"] = held;
  if (held >= wave.soak.count()) {
    r.state = GateState::kHolds;
    r.reason = fmt::format("{} healthy service(s) on {} for {} s (soak {} s)", total, short_id(commit), held,
                           wave.soak.count());
  } else {
    r.state = GateState::kSoaking;
    r.reason = fmt::format("healthy for {} s of the {} s soak", held, wave.soak.count());
  }
  return r;
}

// A gate the site proves with one of its acceptance checks (lucidctl accept), run for the commit.
GateResult from_acceptance(const std::string& check, const std::string& commit, const Json& status) {
  GateResult r;
  auto acc = status.find("acceptance");
  if (acc == status.end() || !acc->is_object()) {
    r.state = GateState::kNoData;
    r.reason = "the site has reported no acceptance results (lucidctl accept)";
    return r;
  }
  r.evidence["acceptance_commit"] = str(*acc, "commit");
  r.evidence["acceptance_finished"] = str(*acc, "finished");
  auto checks = acc->find("checks");
  const Json* found = nullptr;
  if (checks != acc->end() && checks->is_array())
    for (const auto& c : *checks)
      if (str(c, "id") == check) found = &c;
  if (found == nullptr) {
    r.state = GateState::kNoData;
    r.reason = fmt::format("the site's acceptance results have no `{}` check", check);
    return r;
  }
  r.evidence["check"] = *found;
  const std::string result = str(*found, "result");
  if (str(*acc, "commit") != commit) {
    r.state = GateState::kPending;
    r.reason =
        fmt::format("acceptance last ran for {}, not {}", short_id(str(*acc, "commit")), short_id(commit));
  } else if (result == "pass") {
    r.state = GateState::kHolds;
    r.reason = str(*found, "evidence");
  } else if (result == "fail") {
    r.state = GateState::kFails;
    r.reason = str(*found, "evidence");
  } else {
    r.state = GateState::kNoData;
    r.reason = fmt::format("`{}` is {} on this site: {}", check, result, str(*found, "evidence"));
  }
  return r;
}

// The sessions services' p95 manifest-to-anchor latency (`anchor_latency_p95_seconds` in the site's
// report) within the wave's budget, while the site runs the commit, for the soak time.
GateResult anchor_latency(const WaveDefinition& wave, const std::string& commit,
                          const std::vector<Observation>& history, const Observation& latest,
                          std::int64_t now) {
  GateResult r;
  const Json& s = latest.status;
  auto p95_of = [](const Json& status) -> std::optional<double> {
    auto m = status.find("anchor_latency_p95_seconds");
    if (m == status.end() || !m->is_number()) return std::nullopt;
    return m->get<double>();
  };
  auto p95 = p95_of(s);
  if (!p95) {
    r.reason = "no anchor latency reported (no sessions-manifests service on this site)";
    return r;
  }
  r.evidence["p95_seconds"] = *p95;
  if (!wave.anchor_latency_budget) {
    r.reason = "the wave has no anchor_latency_budget in clusters.yaml to compare with";
    return r;
  }
  const double budget = static_cast<double>(wave.anchor_latency_budget->count()) / 1000.0;
  r.evidence["budget_seconds"] = budget;
  r.evidence["soak_seconds"] = wave.soak.count();
  if (str(s, "last_good") != commit) {
    r.state = GateState::kPending;
    r.reason = fmt::format("runs {}, not {} yet", short_id(str(s, "last_good")), short_id(commit));
    return r;
  }
  if (*p95 > budget) {
    r.state = GateState::kFails;
    r.reason = fmt::format("anchor latency p95 {:.3f} s is over the budget of {:.3f} s", *p95, budget);
    return r;
  }
  // Within budget since the first report of the newest unbroken stretch that ran the commit within it.
  std::int64_t since = 0;
  for (const auto& o : history) {
    if (!o.reachable) continue;
    auto v = p95_of(o.status);
    if (str(o.status, "last_good") == commit && v && *v <= budget) {
      if (since == 0) since = o.first_seen != 0 ? o.first_seen : o.polled_at;
    } else {
      since = 0;
    }
  }
  const std::int64_t held = since > 0 ? std::max<std::int64_t>(0, now - since) : 0;
  r.evidence["held_seconds"] = held;
  r.state = held >= wave.soak.count() ? GateState::kHolds : GateState::kSoaking;
  r.reason = fmt::format("anchor latency p95 {:.3f} s within the budget of {:.3f} s for {} s (soak {} s)",
                         *p95, budget, held, wave.soak.count());
  return r;
}

GateResult evaluate_one(const WaveDefinition& wave, const std::string& gate, const std::string& commit,
                        const std::vector<Observation>& history, const Observation& latest,
                        std::int64_t now) {
  if (gate == "healthchecks") return healthchecks(wave, commit, history, latest, now);
  if (gate == "beta-onions-per-plane" || gate == "onions")
    return from_acceptance("cluster.beta-onions", commit, latest.status);
  if (gate == "wallet-plane-isolation" || gate == "wallet-isolation")
    return from_acceptance("cluster.wallet-isolation", commit, latest.status);
  if (gate == "anchor-latency") return anchor_latency(wave, commit, history, latest, now);
  GateResult r;
  r.reason = fmt::format("unknown gate `{}`: nothing on the site reports it", gate);
  return r;
}

}  // namespace

std::string_view to_string(GateState s) {
  switch (s) {
    case GateState::kHolds:
      return "holds";
    case GateState::kSoaking:
      return "soaking";
    case GateState::kPending:
      return "pending";
    case GateState::kFails:
      return "fails";
    case GateState::kNoData:
      return "no-data";
    case GateState::kStale:
      return "stale";
    case GateState::kWaived:
      return "waived";
  }
  return "unknown";
}

bool passes(GateState s) {
  return s == GateState::kHolds || s == GateState::kWaived;
}

std::vector<GateResult> evaluate_gates(const WaveDefinition& wave, const std::string& cluster,
                                       const std::string& commit, const std::vector<Observation>& history,
                                       const std::vector<GateWaiver>& waivers, std::int64_t now) {
  std::vector<GateResult> out;
  const Observation* latest = newest_reachable(history);
  const std::int64_t age = latest != nullptr ? now - latest->polled_at : -1;
  for (const auto& gate : wave.gates) {
    GateResult r;
    if (latest == nullptr || age > wave.stale_after.count()) {
      r.state = GateState::kStale;
      const std::string last_error = history.empty() ? std::string("never polled") : history.back().error;
      r.reason =
          latest == nullptr
              ? fmt::format("the site has never reported ({})", last_error.empty() ? "no answer" : last_error)
              : fmt::format("no report for {} s (stale_after {} s){}{}", age, wave.stale_after.count(),
                            last_error.empty() ? "" : "; last poll: ", last_error);
      r.evidence["report_age_seconds"] = age;
    } else {
      r = evaluate_one(wave, gate, commit, history, *latest, now);
    }
    r.gate = gate;
    r.cluster = cluster;
    if (r.state == GateState::kNoData)
      for (const auto& w : waivers)
        if (w.wave == wave.name && w.gate == gate && w.active(now)) {
          r.state = GateState::kWaived;
          r.evidence["waiver"] = {{"reason", w.reason}, {"expires", w.expires}, {"no_data", r.reason}};
          r.reason = fmt::format("waived until {}: {}", w.expires, w.reason);
        }
    out.push_back(std::move(r));
  }
  return out;
}

nlohmann::ordered_json to_json(const GateResult& r) {
  return {{"gate", r.gate},
          {"cluster", r.cluster},
          {"state", std::string(to_string(r.state))},
          {"passes", passes(r.state)},
          {"reason", r.reason},
          {"evidence", r.evidence}};
}

}  // namespace lucid::rollout
