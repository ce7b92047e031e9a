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
    PlaneNetwork net{n.value("Id", ""), n.value("Name", ""), plane, ""};
    if (n.contains("IPAM") && n["IPAM"].contains("Config") && n["IPAM"]["Config"].is_array())
      for (const auto& cfg : n["IPAM"]["Config"])
        if (cfg.contains("Gateway") && net.gateway.empty()) net.gateway = cfg.value("Gateway", "");
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

std::vector<PlaneTarget> LabelWatcher::targets_locked(const std::string& plane) const {
  std::vector<PlaneTarget> out;
  for (const auto& [id, c] : containers_) {
    if (!c.svc || c.svc->plane != plane || c.svc->ports.empty() || c.plane_ip.empty()) continue;
    if (ban_required() && !c.udp_banned) continue;  // fail-closed: UDP may be open there
    for (auto port : c.svc->ports)
      out.push_back({c.svc->service, c.id.substr(0, 12), port, fmt::format("{}:{}", c.plane_ip, port)});
  }
  return out;
}

void LabelWatcher::on_container_event(const std::string& id) {
  auto c = inspect(id);  // engine I/O before the lock
  std::set<std::string> touched;
  MutexLock lock(mu_);
  bool still_banned = false;  // the same run of the container (same namespace) was banned before
  if (auto old = containers_.find(id); old != containers_.end()) {
    if (old->second.svc) touched.insert(old->second.svc->plane);
    still_banned =
        c && old->second.udp_banned && old->second.started_at == c->started_at && c->pid == old->second.pid;
    containers_.erase(old);
  }
  if (c) {
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
      if (ban_required() && still_banned) {
        c->udp_banned = true;
      } else if (ban_required()) {
        lock.unlock();  // a helper container or nsenter + nft: no lock across it
        auto s = apply_udp_ban(docker_, options_.udp_ban, c->id, c->pid);
        lock.lock();
        if (s) {
          c->udp_banned = true;
          udp_bans_applied_++;
        } else {
          udp_ban_failures_++;
          c->udp_ban_error = s.error().message;
          ban_retry_at_ = std::chrono::steady_clock::now() + options_.udp_ban_retry;
          log_line("udp-ban",
                   fmt::format("container {} ({}): {}; its services are withdrawn until the ban is in "
                               "place (retried in {} s)",
                               c->name, c->id.substr(0, 12), s.error().message,
                               options_.udp_ban_retry.count() / 1000));
        }
      }
    }
    containers_[c->id] = *c;
  }
  std::vector<std::pair<std::string, std::vector<PlaneTarget>>> reports;
  for (const auto& plane : touched) reports.emplace_back(plane, targets_locked(plane));
  lock.unlock();
  for (const auto& [plane, targets] : reports) on_targets_(plane, targets);
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
  std::vector<std::string> gone;
  {
    MutexLock lock(mu_);
    for (const auto& [id, c] : containers_)
      if (!running.contains(id)) gone.push_back(id);
  }
  {
    MutexLock lock(mu_);
    ban_retry_at_.reset();  // this sync re-tries every ban not in place
  }
  for (const auto& id : gone) on_container_event(id);
  for (const auto& id : running) on_container_event(id);
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
  Counters out{synced_, label_errors_, udp_bans_applied_, udp_ban_failures_, {}};
  if (ban_required())
    for (const auto& [id, c] : containers_)
      if (has_lucid_labels(c.labels) && !c.udp_banned)
        out.unbanned.push_back(fmt::format("{} ({}): {}", c.name, id.substr(0, 12),
                                           c.udp_ban_error.empty() ? "not applied yet" : c.udp_ban_error));
  return out;
}

}  // namespace lucid::beta
