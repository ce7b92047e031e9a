#include "lucid/rollout/waves.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "lucid/base/time.h"

namespace lucid::rollout {

namespace {

using Json = nlohmann::json;

std::string short_id(const std::string& commit) {
  return commit.substr(0, 12);
}

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<const WaveDefinition*> wave_named(const FleetDefinition& def, const std::string& name) {
  if (const auto* w = def.find_wave(name)) return w;
  std::string names;
  for (const auto& w : def.waves) names += (names.empty() ? "" : ", ") + w.name;
  return fail(ErrorKind::kInvalidArgument,
              fmt::format("no wave '{}' in clusters/clusters.yaml (waves: {})", name, names));
}

// The commit `rev` names in the clone (a full or abbreviated id, or a ref), or an error saying so.
Result<std::string> commit_named(const ConfigRepo& repo, const std::string& rev) {
  auto id = repo.resolve(rev);
  if (!id) return id;
  if (id->empty())
    return fail(ErrorKind::kNotFound, fmt::format("'{}' names no commit of {} (fetched?)", rev, repo.url()));
  return id;
}

ClusterView view_cluster(const ClusterDefinition& c, const WaveDefinition& wave, const std::string& commit,
                         const FleetDefinition& def, const History& history, std::int64_t now) {
  ClusterView v;
  v.id = c.id;
  v.wave = c.wave;
  v.status_url = c.status_url;
  auto seen = history ? history(c.id) : std::vector<Observation>{};
  if (!seen.empty()) v.latest = seen.back();
  for (auto it = seen.rbegin(); it != seen.rend(); ++it)
    if (it->reachable) {
      v.report_age = now - it->polled_at;
      break;
    }
  v.stale = v.report_age < 0 || v.report_age > wave.stale_after.count();
  if (!commit.empty()) v.gates = evaluate_gates(wave, c.id, commit, seen, def.waivers, now);
  return v;
}

// A compact summary of a site's status for the fleet page (the whole object is /api/v1/clusters/<id>).
Json summary(const ClusterView& c) {
  Json j = {
      {"id", c.id}, {"status_url", c.status_url}, {"stale", c.stale}, {"report_age_seconds", c.report_age}};
  if (!c.latest) return j;
  j["reachable"] = c.latest->reachable;
  if (!c.latest->error.empty()) j["error"] = c.latest->error;
  const Observation* o = &*c.latest;
  if (!o->reachable || !o->status.is_object()) return j;
  const Json& s = o->status;
  for (const char* key : {"desired", "applied", "last_good", "last_good_since", "ref", "engine_error"})
    if (auto v = str(s, key); !v.empty()) j[key] = v;
  std::size_t healthy = 0, total = 0;
  if (auto svc = s.find("services"); svc != s.end() && svc->is_array())
    for (const auto& x : *svc) {
      ++total;
      const std::string h = str(x, "health");
      healthy +=
          (h == "healthy" || (h.empty() && str(x, "state") == "running")) && x.value("config_current", false);
    }
  j["services_total"] = total;
  j["services_healthy"] = healthy;
  if (auto a = s.find("attempts"); a != s.end() && a->is_array() && !a->empty()) {
    const Json& last = (*a)[0];
    j["last_attempt"] = {{"kind", str(last, "kind")},
                         {"commit", str(last, "commit")},
                         {"started", str(last, "started")},
                         {"outcome", str(last, "outcome")}};
  }
  if (auto d = s.find("drift_corrections"); d != s.end() && d->is_array()) j["drift_corrections"] = d->size();
  if (auto b = s.find("bad_commits"); b != s.end() && b->is_array()) j["bad_commits"] = *b;
  return j;
}

}  // namespace

Result<FleetDefinition> current_definition(const ConfigRepo& repo) {
  auto head = repo.head();
  if (!head) return std::unexpected(head.error());
  return load_definition(repo, *head);
}

Result<FleetDefinition> load_definition(const ConfigRepo& repo, const std::string& commit) {
  auto clusters = repo.read_file(commit, "clusters/clusters.yaml");
  if (!clusters) return std::unexpected(clusters.error());
  if (!*clusters)
    return fail(ErrorKind::kNotFound, fmt::format("{} has no clusters/clusters.yaml", short_id(commit)));
  auto waivers = repo.read_file(commit, "policies/waivers.yaml");
  if (!waivers) return std::unexpected(waivers.error());
  auto def = parse_fleet(**clusters, waivers->value_or(""));
  if (!def)
    return fail(def.error().kind,
                fmt::format("at {} of the config repo: {}", short_id(commit), def.error().message));
  def->commit = commit;
  return def;
}

Result<FleetView> fleet_view(const ConfigRepo& repo, const History& history, std::int64_t now) {
  auto def = current_definition(repo);
  if (!def) return std::unexpected(def.error());
  FleetView view;
  view.config_commit = def->commit;
  view.now = now;
  for (const auto& w : def->waves) {
    WaveView wv;
    wv.definition = w;
    auto commit = repo.resolve(w.ref);
    if (!commit) return std::unexpected(commit.error());
    wv.commit = *commit;
    if (!wv.commit.empty())
      if (auto s = repo.subject(wv.commit); s) wv.subject = *s;
    auto paused = repo.pause_of(w.name);
    if (!paused) return std::unexpected(paused.error());
    wv.paused = *paused;
    for (const auto* c : def->clusters_of(w.name))
      wv.clusters.push_back(view_cluster(*c, w, wv.commit, *def, history, now));
    wv.gates_pass = !wv.commit.empty() && !wv.clusters.empty();
    for (const auto& c : wv.clusters)
      for (const auto& g : c.gates) wv.gates_pass = wv.gates_pass && passes(g.state);
    view.waves.push_back(std::move(wv));
  }
  return view;
}

nlohmann::ordered_json to_json(const FleetView& v) {
  nlohmann::ordered_json j;
  j["config_commit"] = v.config_commit;
  j["now"] = rfc3339(static_cast<std::time_t>(v.now));
  j["waves"] = nlohmann::ordered_json::array();
  for (const auto& w : v.waves) {
    nlohmann::ordered_json wj;
    wj["name"] = w.definition.name;
    wj["ref"] = w.definition.ref;
    wj["commit"] = w.commit;
    wj["subject"] = w.subject;
    wj["gates"] = w.definition.gates;
    wj["soak_seconds"] = w.definition.soak.count();
    wj["stale_after_seconds"] = w.definition.stale_after.count();
    wj["paused"] =
        w.paused ? nlohmann::ordered_json{{"message", w.paused->message}} : nlohmann::ordered_json();
    wj["gates_pass"] = w.gates_pass;
    wj["clusters"] = nlohmann::ordered_json::array();
    for (const auto& c : w.clusters) {
      nlohmann::ordered_json cj = summary(c);
      cj["gates"] = nlohmann::ordered_json::array();
      for (const auto& g : c.gates) cj["gates"].push_back(to_json(g));
      wj["clusters"].push_back(std::move(cj));
    }
    j["waves"].push_back(std::move(wj));
  }
  return j;
}

nlohmann::ordered_json ActionResult::to_json() const {
  return {{"done", done}, {"wave", wave},         {"from", from},
          {"to", to},     {"refusals", refusals}, {"detail", detail}};
}

Result<ActionResult> promote(const ConfigRepo& repo, const History& history, const PromoteRequest& request,
                             std::int64_t now) {
  auto def = current_definition(repo);
  if (!def) return std::unexpected(def.error());
  auto wave = wave_named(*def, request.wave);
  if (!wave) return std::unexpected(wave.error());
  const WaveDefinition* prev = def->previous_wave(request.wave);
  ActionResult out;
  out.wave = request.wave;
  auto current = repo.resolve((*wave)->ref);
  if (!current) return std::unexpected(current.error());
  out.from = *current;
  // What to promote: the named commit, else what the previous wave runs (its ref), else (first wave)
  // the default branch.
  std::string target;
  if (request.commit) {
    auto id = commit_named(repo, *request.commit);
    if (!id) return std::unexpected(id.error());
    target = *id;
  } else if (prev != nullptr) {
    auto id = repo.resolve(prev->ref);
    if (!id) return std::unexpected(id.error());
    if (id->empty()) {
      out.refusals.push_back(
          fmt::format("the previous wave {} has no ref {} yet: promote it first", prev->name, prev->ref));
      return out;
    }
    target = *id;
  } else {
    target = def->commit;
  }
  out.to = target;
  if (auto paused = repo.pause_of(request.wave); !paused) {
    return std::unexpected(paused.error());
  } else if (*paused) {
    out.refusals.push_back(fmt::format("wave {} is paused ({}); lucidctl wave resume {} first", request.wave,
                                       (*paused)->message, request.wave));
  }
  if (target == *current) {
    out.detail = fmt::format("{} is already at {}", (*wave)->ref, short_id(target));
    return out;
  }
  if (!current->empty()) {
    auto forward = repo.is_ancestor(*current, target);
    if (!forward) return std::unexpected(forward.error());
    if (!*forward)
      out.refusals.push_back(fmt::format(
          "not a fast-forward: {} does not descend from {} (what {} points at); a wave's ref only moves "
          "forward — to undo a change, `lucidctl wave rollback` commits the old content on top",
          short_id(target), short_id(*current), (*wave)->ref));
  }
  if (prev != nullptr) {
    auto members = def->clusters_of(prev->name);
    if (members.empty())
      out.refusals.push_back(fmt::format("the previous wave {} has no clusters: nothing has proven {}",
                                         prev->name, short_id(target)));
    for (const auto* c : members)
      for (const auto& g :
           evaluate_gates(*prev, c->id, target, history ? history(c->id) : std::vector<Observation>{},
                          def->waivers, now))
        if (!passes(g.state))
          out.refusals.push_back(fmt::format("gate {} on {} ({}): {}: {}", g.gate, c->id, prev->name,
                                             to_string(g.state), g.reason));
  }
  if (!out.refusals.empty()) return out;
  if (request.dry_run) {
    out.detail = fmt::format("would move {} from {} to {}\n", (*wave)->ref,
                             out.from.empty() ? "(none)" : short_id(out.from), short_id(target));
    if (!out.from.empty())
      if (auto d = repo.diff(out.from, target); d) out.detail += *d;
    return out;
  }
  if (auto s = repo.fast_forward((*wave)->ref, target); !s) return std::unexpected(s.error());
  out.done = true;
  out.detail = fmt::format("{} moved from {} to {}", (*wave)->ref,
                           out.from.empty() ? "(none)" : short_id(out.from), short_id(target));
  return out;
}

Result<ActionResult> pause(const ConfigRepo& repo, const std::string& wave, const std::string& reason,
                           const std::string& actor, const Signing& signing, std::int64_t now) {
  auto def = current_definition(repo);
  if (!def) return std::unexpected(def.error());
  auto w = wave_named(*def, wave);
  if (!w) return std::unexpected(w.error());
  ActionResult out;
  out.wave = wave;
  auto paused = repo.pause_of(wave);
  if (!paused) return std::unexpected(paused.error());
  if (*paused) {
    out.refusals.push_back(fmt::format("wave {} is already paused: {}", wave, (*paused)->message));
    return out;
  }
  auto at = repo.resolve((*w)->ref);
  if (!at) return std::unexpected(at.error());
  const std::string message =
      fmt::format("paused by {} at {}: {}", actor.empty() ? "an operator" : actor,
                  rfc3339(static_cast<std::time_t>(now)), reason.empty() ? "no reason given" : reason);
  if (auto s = repo.pause(wave, at->empty() ? def->commit : *at, message, signing); !s)
    return std::unexpected(s.error());
  out.done = true;
  out.detail = message;
  return out;
}

Result<ActionResult> resume(const ConfigRepo& repo, const std::string& wave) {
  ActionResult out;
  out.wave = wave;
  auto paused = repo.pause_of(wave);
  if (!paused) return std::unexpected(paused.error());
  if (!*paused) {
    out.refusals.push_back(fmt::format("wave {} is not paused", wave));
    return out;
  }
  if (auto s = repo.resume(wave); !s) return std::unexpected(s.error());
  out.done = true;
  out.detail = fmt::format("wave {} resumed (was: {})", wave, (*paused)->message);
  return out;
}

Result<ActionResult> rollback(const ConfigRepo& repo, const History& history, const RollbackRequest& request,
                              std::int64_t now) {
  auto def = current_definition(repo);
  if (!def) return std::unexpected(def.error());
  auto wave = wave_named(*def, request.wave);
  if (!wave) return std::unexpected(wave.error());
  ActionResult out;
  out.wave = request.wave;
  auto tip = commit_named(repo, (*wave)->ref);
  if (!tip) return std::unexpected(tip.error());
  out.from = *tip;
  std::string target;
  if (request.to) {
    auto id = commit_named(repo, *request.to);
    if (!id) return std::unexpected(id.error());
    target = *id;
  } else {
    // The last-good commit the wave's sites agree on (what they fell back to), when it is older than
    // the tip; else the tip's parent.
    std::set<std::string> last_good;
    for (const auto* c : def->clusters_of(request.wave)) {
      auto seen = history ? history(c->id) : std::vector<Observation>{};
      for (auto it = seen.rbegin(); it != seen.rend(); ++it)
        if (it->reachable) {
          last_good.insert(str(it->status, "last_good"));
          break;
        }
    }
    if (last_good.size() == 1 && !last_good.begin()->empty() && *last_good.begin() != *tip) {
      target = *last_good.begin();
      out.detail = fmt::format("target: {}, the last-good commit of every site of {}\n", short_id(target),
                               request.wave);
    } else {
      auto parent = commit_named(repo, *tip + "^");
      if (!parent) return std::unexpected(parent.error());
      target = *parent;
      out.detail = fmt::format("target: {}, the parent of {}\n", short_id(target), short_id(*tip));
    }
  }
  auto ancestor = repo.is_ancestor(target, *tip);
  if (!ancestor) return std::unexpected(ancestor.error());
  if (!*ancestor) {
    out.refusals.push_back(
        fmt::format("{} is not in the history of {} ({}): roll back to a commit the wave ran",
                    short_id(target), (*wave)->ref, short_id(*tip)));
    return out;
  }
  auto diff = repo.diff(*tip, target);
  if (!diff) return std::unexpected(diff.error());
  if (diff->find_first_not_of(" \n") == std::string::npos) {
    out.refusals.push_back(fmt::format("{} already has the content of {}: nothing to roll back", (*wave)->ref,
                                       short_id(target)));
    return out;
  }
  out.detail += *diff;
  if (request.dry_run) return out;
  auto tip_subject = repo.subject(*tip);
  auto target_subject = repo.subject(target);
  const std::string message = fmt::format(
      "Roll back wave {} to {}\n\nThe content of {} ({}) committed on top of {} ({}), so that every site "
      "rolls "
      "forward to it.\nRequested by {} at {}.\n",
      request.wave, short_id(target), short_id(target), target_subject.value_or("?"), short_id(*tip),
      tip_subject.value_or("?"), request.actor.empty() ? "an operator" : request.actor,
      rfc3339(static_cast<std::time_t>(now)));
  auto made = repo.commit_tree_of(target, *tip, message, request.signing);
  if (!made) return std::unexpected(made.error());
  if (auto s = repo.fast_forward((*wave)->ref, *made); !s) return std::unexpected(s.error());
  out.done = true;
  out.to = *made;
  return out;
}

Result<std::vector<std::string>> pause_after_failures(const ConfigRepo& repo, const FleetView& view,
                                                      const Signing& signing, std::int64_t now,
                                                      std::set<std::string>& done) {
  std::vector<std::string> paused;
  for (std::size_t i = 0; i + 1 < view.waves.size(); ++i) {
    const WaveView& w = view.waves[i];
    const WaveView& next = view.waves[i + 1];
    if (w.commit.empty() || next.paused) continue;
    const std::string key = w.definition.name + "@" + w.commit;
    if (done.contains(key)) continue;
    for (const auto& c : w.clusters) {
      auto failed = std::find_if(c.gates.begin(), c.gates.end(),
                                 [](const GateResult& g) { return g.state == GateState::kFails; });
      if (failed == c.gates.end()) continue;
      auto r = pause(repo, next.definition.name,
                     fmt::format("gate {} failed on {} (wave {}) for {}: {}", failed->gate, c.id,
                                 w.definition.name, short_id(w.commit), failed->reason),
                     "the console", signing, now);
      if (!r) return std::unexpected(r.error());
      done.insert(key);
      if (r->done) paused.push_back(next.definition.name);
      break;
    }
  }
  return paused;
}

}  // namespace lucid::rollout
