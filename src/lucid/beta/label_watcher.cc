#include "lucid/beta/label_watcher.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "lucid/beta/log.h"

namespace lucid::beta {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::map<std::string, std::string> label_map(const json& labels) {
  std::map<std::string, std::string> out;
  if (labels.is_object())
    for (const auto& [k, v] : labels.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

}  // namespace

LabelWatcher::LabelWatcher(const engine::DockerClient& docker, Options options, OnTargets on_targets)
    : docker_(docker), options_(std::move(options)), on_targets_(std::move(on_targets)) {}

LabelWatcher::~LabelWatcher() {
  stop();
}

void LabelWatcher::start() {
  thread_ = std::thread([this] { run(); });
}

void LabelWatcher::stop() {
  stopping_ = true;
  {
    MutexLock lock(mu_);
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool LabelWatcher::in_scope(const json& labels) const {
  const std::string& scope = options_.scope_label;
  if (scope.empty()) return true;
  auto eq = scope.find('=');
  std::string k = scope.substr(0, eq);
  std::string v = eq == std::string::npos ? "" : scope.substr(eq + 1);
  return labels.is_object() && labels.contains(k) && labels[k].is_string() &&
         (eq == std::string::npos || labels[k].get<std::string>() == v);
}

Status LabelWatcher::discover_networks() {
  json filters = {{"label", json::array({kPlaneLabel})}};
  auto list = docker_.get_json("/networks?filters=" + engine::DockerClient::filters(filters));
  if (!list) return std::unexpected(list.error());
  std::map<std::string, std::string> self_ips;  // network id -> beta's own address there
  if (!options_.self.empty())
    if (auto self = docker_.get_json("/containers/" + engine::DockerClient::encode(options_.self) + "/json"))
      for (const auto& [name, n] : (*self)["NetworkSettings"]["Networks"].items())
        if (std::string ip = n.value("IPAddress", ""); !ip.empty()) self_ips[n.value("NetworkID", "")] = ip;
  std::map<std::string, PlaneNetwork> found;
  for (const auto& n : *list) {
    auto labels = n.value("Labels", json::object());
    if (!in_scope(labels)) continue;
    std::string plane = labels.value(kPlaneLabel, "");
    if (std::find(options_.planes.begin(), options_.planes.end(), plane) == options_.planes.end()) {
      log_line("docker", fmt::format("network {} has com.lucid.plane='{}', not one of beta's planes; ignored",
                                     n.value("Name", "?"), plane.substr(0, 64)));
      continue;
    }
    PlaneNetwork net{n.value("Id", ""), n.value("Name", ""), plane, "", ""};
    if (n.contains("IPAM") && n["IPAM"].contains("Config") && n["IPAM"]["Config"].is_array())
      for (const auto& cfg : n["IPAM"]["Config"])
        if (cfg.contains("Gateway") && net.gateway.empty()) net.gateway = cfg.value("Gateway", "");
    net.beta_ip = self_ips.contains(net.id) ? self_ips[net.id] : net.gateway;
    found[net.id] = net;
  }
  MutexLock lock(mu_);
  networks_ = std::move(found);
  return {};
}

std::vector<PlaneNetwork> LabelWatcher::networks() const {
  MutexLock lock(mu_);
  std::vector<PlaneNetwork> out;
  for (const auto& [id, net] : networks_) out.push_back(net);
  return out;
}

std::optional<LabelWatcher::Container> LabelWatcher::inspect(const std::string& id) const {
  auto j = docker_.get_json("/containers/" + engine::DockerClient::encode(id) + "/json");
  if (!j) return std::nullopt;
  if (!(*j)["State"].value("Running", false)) return std::nullopt;
  auto labels_json = (*j)["Config"].value("Labels", json::object());
  if (!in_scope(labels_json)) return std::nullopt;
  Container c;
  c.id = j->value("Id", id);
  c.name = j->value("Name", "");
  if (!c.name.empty() && c.name[0] == '/') c.name.erase(0, 1);
  c.labels = label_map(labels_json);
  c.pid = (*j)["State"].value("Pid", 0);
  c.started_at = (*j)["State"].value("StartedAt", "");
  for (const auto& [name, n] : (*j)["NetworkSettings"]["Networks"].items())
    c.ips[n.value("NetworkID", "")] = n.value("IPAddress", "");
  return c;
}

std::string LabelWatcher::Container::plane() const {
  if (svc) return svc->plane;
  auto it = labels.find(kPlaneLabel);
  return it == labels.end() ? std::string() : it->second;
}

std::vector<PlaneTarget> LabelWatcher::targets_locked(const std::string& plane) const {
  std::vector<PlaneTarget> out;
  for (const auto& [id, c] : containers_) {
    if (!c.svc || c.svc->plane != plane || c.svc->ports.empty() || c.plane_ip.empty()) continue;
    if (ban_required() && !c.rules) continue;  // fail-closed: UDP may be open there
    for (auto port : c.svc->ports)
      out.push_back({c.svc->service, c.id.substr(0, 12), port, fmt::format("{}:{}", c.plane_ip, port)});
  }
  return out;
}

InboundAdmission LabelWatcher::admission_locked(const Container& c) const {
  const std::string plane = c.plane();
  if (options_.acl.open_within(plane)) return {};
  // Deny-by-default (or a plane the policy does not name): beta, and the callers the ACL allows.
  // A container whose labels do not parse has no service, so no caller is allowed to it.
  std::vector<std::string> from;
  for (const auto& [nid, net] : networks_)
    if (net.plane == plane && !net.beta_ip.empty()) from.push_back(net.beta_ip);
  if (c.svc)
    for (const auto& [id, caller] : containers_)
      if (id != c.id && caller.svc && caller.svc->plane == plane && !caller.plane_ip.empty() &&
          options_.acl.check(caller.svc->service, plane, c.svc->service, plane).allowed)
        from.push_back(caller.plane_ip);
  std::sort(from.begin(), from.end());
  from.erase(std::unique(from.begin(), from.end()), from.end());
  return {std::move(from)};
}

std::set<std::string> LabelWatcher::record_locked(const std::string& id, std::optional<Container> c) {
  std::set<std::string> touched;
  std::optional<std::string> rules_in_place;  // kept when this is the same run (same namespace)
  if (auto old = containers_.find(id); old != containers_.end()) {
    if (old->second.svc) touched.insert(old->second.svc->plane);
    if (c && old->second.started_at == c->started_at && c->pid == old->second.pid)
      rules_in_place = old->second.rules;
    containers_.erase(old);
  }
  if (!c) return touched;
  if (has_lucid_labels(c->labels)) {
    auto svc = parse_service_labels(c->labels, options_.planes);
    if (!svc) {
      label_errors_++;
      c->label_error = svc.error().message;
      log_line("labels", fmt::format("container {} ({}): {}; not published", c->name, c->id.substr(0, 12),
                                     c->label_error));
    } else {
      c->svc = *svc;
      for (const auto& [nid, ip] : c->ips)
        if (auto n = networks_.find(nid); n != networks_.end() && n->second.plane == svc->plane)
          c->plane_ip = ip;
      if (c->plane_ip.empty() && !svc->ports.empty()) {
        label_errors_++;
        c->label_error = fmt::format("not attached to a network of plane {}", svc->plane);
        log_line("labels", fmt::format("container {} ({}): {}; not published", c->name, c->id.substr(0, 12),
                                       c->label_error));
      }
      touched.insert(svc->plane);
    }
    c->rules = std::move(rules_in_place);
  }
  containers_[c->id] = std::move(*c);
  return touched;
}

std::vector<LabelWatcher::RulesDue> LabelWatcher::rules_due_locked() const {
  std::vector<RulesDue> due;
  if (!ban_required()) return due;
  for (const auto& [id, c] : containers_) {
    if (!has_lucid_labels(c.labels) || !c.rules_error.empty()) continue;
    std::string ruleset = namespace_ruleset(admission_locked(c));
    if (c.rules != ruleset) due.push_back({id, c.name, c.started_at, c.pid, std::move(ruleset)});
  }
  return due;
}

std::set<std::string> LabelWatcher::apply_rules(const std::vector<RulesDue>& due) {
  std::set<std::string> touched;
  for (const auto& d : due) {
    // A helper container or nsenter + nft: no lock across it.
    auto s = apply_namespace_rules(docker_, options_.udp_ban, d.id, d.pid, d.ruleset);
    MutexLock lock(mu_);
    auto it = containers_.find(d.id);
    if (it == containers_.end() || it->second.started_at != d.started_at || it->second.pid != d.pid)
      continue;  // gone or restarted meanwhile: its next record starts afresh
    Container& c = it->second;
    if (s) {
      if (!c.rules) {
        udp_bans_applied_++;
        touched.insert(c.plane());
      } else {
        admission_updates_++;
      }
      c.rules = d.ruleset;
      continue;
    }
    udp_ban_failures_++;
    c.rules_error = s.error().message;
    ban_retry_at_ = std::chrono::steady_clock::now() + options_.udp_ban_retry;
    log_line("udp-ban", fmt::format("container {} ({}): {}; {} (retried in {} s)", d.name, d.id.substr(0, 12),
                                    s.error().message,
                                    c.rules ? "its ACL admission is not up to date"
                                            : "its services are withdrawn until the ban is in place",
                                    options_.udp_ban_retry.count() / 1000));
  }
  return touched;
}

void LabelWatcher::report(const std::set<std::string>& planes) {
  std::vector<std::pair<std::string, std::vector<PlaneTarget>>> reports;
  {
    MutexLock lock(mu_);
    for (const auto& plane : planes) reports.emplace_back(plane, targets_locked(plane));
  }
  for (const auto& [plane, targets] : reports) on_targets_(plane, targets);
}

void LabelWatcher::on_container_event(const std::string& id) {
  auto c = inspect(id);  // engine I/O before the lock
  std::set<std::string> touched;
  std::vector<RulesDue> due;
  {
    MutexLock lock(mu_);
    touched = record_locked(id, std::move(c));
    due = rules_due_locked();
  }
  touched.merge(apply_rules(due));
  report(touched);
}

void LabelWatcher::set_synced(bool synced) {
  MutexLock lock(mu_);
  synced_ = synced;
}

void LabelWatcher::pause(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  MutexLock lock(mu_);
  while (!stopping_ && std::chrono::steady_clock::now() < deadline) lock.wait_until(cv_, deadline);
}

Status LabelWatcher::full_sync() {
  if (auto s = discover_networks(); !s) return s;
  auto list = docker_.get_json("/containers/json");
  if (!list) return std::unexpected(list.error());
  std::set<std::string> running;
  for (const auto& c : *list) running.insert(c.value("Id", ""));
  // Every container is inspected and recorded before any rules are applied, so each admission
  // is computed once from the whole plane rather than grown container by container.
  std::map<std::string, std::optional<Container>> seen;
  for (const auto& id : running) seen[id] = inspect(id);
  std::set<std::string> touched;
  std::vector<RulesDue> due;
  {
    MutexLock lock(mu_);
    ban_retry_at_.reset();  // this sync re-tries every ban not in place
    std::vector<std::string> gone;
    for (const auto& [id, c] : containers_)
      if (!running.contains(id)) gone.push_back(id);
    for (const auto& id : gone) touched.merge(record_locked(id, std::nullopt));
    for (auto& [id, c] : seen) touched.merge(record_locked(id, std::move(c)));
    due = rules_due_locked();
  }
  touched.merge(apply_rules(due));
  report(touched);
  set_synced(true);
  return {};
}

bool LabelWatcher::ban_retry_due() const {
  MutexLock lock(mu_);
  return ban_retry_at_ && std::chrono::steady_clock::now() >= *ban_retry_at_;
}

void LabelWatcher::run() {
  if (options_.udp_ban.method == UdpBanMethod::kHelperContainer) remove_stale_udp_ban_helpers(docker_);
  while (!stopping_) {
    // Events are replayed from one second before the sync, so nothing between the two is lost.
    const std::time_t since = std::time(nullptr) - 1;
    if (auto s = full_sync(); !s) {
      log_line("docker", "sync failed: " + s.error().message);
      set_synced(false);
      pause(2s);
      continue;
    }
    const json filters = {{"type", json::array({"container"})}, {"event", json::array({"start", "die"})}};
    auto s = docker_.subscribe(
        filters, since,
        [this](const json& ev) {
          std::string id = ev.value("id", "");
          if (!id.empty()) on_container_event(id);
        },
        // A failed ban ends the subscription when its retry is due: the full sync re-tries it.
        [this] { return stopping_.load() || ban_retry_due(); });
    if (!s) {
      log_line("docker", s.error().message + "; resyncing");
      set_synced(false);
      pause(1s);
    }
  }
}

std::string LabelWatcher::service_at(const std::string& ip, const std::string& plane) const {
  MutexLock lock(mu_);
  for (const auto& [id, c] : containers_)
    for (const auto& [nid, cip] : c.ips)
      if (cip == ip)
        if (auto n = networks_.find(nid); n != networks_.end() && n->second.plane == plane)
          return c.labels.contains(kServiceLabel) ? c.labels.at(kServiceLabel) : std::string("unknown");
  return "unknown";
}

LabelWatcher::Counters LabelWatcher::counters() const {
  MutexLock lock(mu_);
  Counters out{synced_, label_errors_, udp_bans_applied_, udp_ban_failures_, admission_updates_, {}, {}};
  if (ban_required())
    for (const auto& [id, c] : containers_) {
      if (!has_lucid_labels(c.labels)) continue;
      const std::string who = fmt::format("{} ({})", c.name, id.substr(0, 12));
      if (!c.rules)
        out.unbanned.push_back(who + ": " + (c.rules_error.empty() ? "not applied yet" : c.rules_error));
      else if (!c.rules_error.empty())
        out.stale_admission.push_back(who + ": " + c.rules_error);
    }
  return out;
}

}  // namespace lucid::beta
