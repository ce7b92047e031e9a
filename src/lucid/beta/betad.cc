#include "lucid/beta/betad.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/base/base64.h"
#include "lucid/base/hex.h"
#include "lucid/beta/log.h"
#include "lucid/beta/udp_ban.h"

namespace lucid::beta {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

http::Response json_response(int status, const json& body) {
  return {status, "application/json", body.dump() + "\n"};
}

std::map<std::string, std::string> label_map(const json& labels) {
  std::map<std::string, std::string> out;
  if (labels.is_object())
    for (const auto& [k, v] : labels.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::string query_param(const std::string& target, const std::string& name) {
  auto q = target.find('?');
  if (q == std::string::npos) return {};
  std::string query = target.substr(q + 1);
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == name) {
      std::string v = kv.substr(eq + 1), out;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() + 0 && i + 2 <= v.size() - 1) {
          out.push_back(static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          out.push_back(v[i]);
        }
      }
      return out;
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Betad>> Betad::create(BetadConfig config) {
  if (config.planes.empty()) return fail(ErrorKind::kInvalidArgument, "BETA_PLANES is empty");
  std::unique_ptr<Betad> d(new Betad(std::move(config)));
  for (const auto& plane : d->config_.planes) {
    auto id = load_or_create_identity(d->config_.key_dir, d->config_.cluster_id, plane);
    if (!id) return std::unexpected(with_context("onion key for plane " + plane, id.error()));
    Plane p{*id, id->address(), {}, false, {}, {}};
    d->planes_.emplace(plane, std::move(p));
  }
  if (d->config_.acl_file) {
    auto acl = AclPolicy::load(*d->config_.acl_file);
    if (!acl) return std::unexpected(acl.error());
    d->acl_ = std::move(*acl);
  } else {
    d->acl_ = AclPolicy::defaults(d->config_.planes);
  }
  return d;
}

Betad::~Betad() {
  stop();
}

Status Betad::start() {
  // Networks first: the resolver listens on beta's address on each plane network.
  if (auto s = discover_networks(); !s)
    log_line("docker", "cannot list plane networks yet: " + s.error().message);
  std::vector<std::string> listen;
  {
    std::lock_guard lock(mu_);
    if (config_.resolver_listen.empty()) {
      std::string self = std::getenv("HOSTNAME") ? std::getenv("HOSTNAME") : "";
      std::map<std::string, std::string> self_ips;
      if (!self.empty())
        if (auto c = docker_.get_json("/containers/" + engine::DockerClient::encode(self) + "/json"))
          for (const auto& [name, n] : (*c)["NetworkSettings"]["Networks"].items())
            self_ips[n.value("NetworkID", "")] = n.value("IPAddress", "");
      for (const auto& [id, net] : networks_) {
        std::string ip = self_ips.contains(id) && !self_ips[id].empty() ? self_ips[id] : net.gateway;
        if (ip.empty()) continue;
        listen.push_back(fmt::format("{}:{}", ip, config_.resolver_port));
        listener_plane_[ip] = net.plane;
      }
    } else {
      for (const auto& entry : config_.resolver_listen) {
        auto eq = entry.find('=');
        if (eq == std::string::npos)
          return fail(ErrorKind::kInvalidArgument, "resolver listen '" + entry + "' is not ip:port=plane");
        std::string addr = entry.substr(0, eq);
        listen.push_back(addr);
        listener_plane_[addr.substr(0, addr.rfind(':'))] = entry.substr(eq + 1);
      }
    }
  }
  auto admin =
      http::Server::start({config_.admin_listen}, [this](const http::Request& r) { return handle_admin(r); });
  if (!admin) return std::unexpected(with_context("admin listener", admin.error()));
  admin_ = std::move(*admin);
  if (!listen.empty()) {
    auto res = http::Server::start(listen, [this](const http::Request& r) { return handle_resolver(r); });
    if (!res) return std::unexpected(with_context("resolver listener", res.error()));
    resolver_ = std::move(*res);
    log_line("resolver", fmt::format("listening on {}", fmt::join(listen, ", ")));
  } else {
    log_line("resolver", "no plane network found: resolver serves only the admin port");
  }
  tor_ = std::make_unique<TorSupervisor>(config_.tor,
                                         TorSupervisor::Callbacks{[this](std::uint16_t port) {
                                                                    std::lock_guard lock(mu_);
                                                                    control_port_ = port;
                                                                    cv_.notify_all();
                                                                  },
                                                                  [this] {
                                                                    std::lock_guard lock(mu_);
                                                                    control_port_ = 0;
                                                                    withdraw_all_locked("tor exited");
                                                                  }});
  if (auto s = tor_->start(); !s) return s;
  monitor_ = std::thread([this] { monitor_loop(); });
  watcher_ = std::thread([this] { watcher_loop(); });
  log_line("betad",
           fmt::format("admin on {}; planes {}", config_.admin_listen, fmt::join(config_.planes, ",")));
  return {};
}

void Betad::stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  if (watcher_.joinable()) watcher_.join();
  if (monitor_.joinable()) monitor_.join();
  if (resolver_) resolver_->stop();
  if (admin_) admin_->stop();
  {
    std::lock_guard lock(mu_);
    withdraw_all_locked("betad stopping");
  }
  if (tor_) tor_->stop();
}

// ---- tor ----------------------------------------------------------------------------------------

void Betad::withdraw_all_locked(const std::string& why) {
  if (control_) {
    for (auto& [name, p] : planes_)
      if (!p.tor_service_id.empty()) (void)control_->del_onion(p.tor_service_id);
  }
  bool any = tor_up_;
  control_.reset();
  tor_up_ = false;
  for (auto& [name, p] : planes_) {
    any = any || p.published;
    p.published = false;
    p.tor_service_id.clear();
  }
  if (any) log_line("tor", "fail-closed: onions withdrawn (" + why + ")");
}

void Betad::monitor_loop() {
  auto last_ok = std::chrono::steady_clock::now();
  while (!stopping_) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, config_.tor_probe_interval, [&] { return stopping_.load(); });
    if (stopping_) return;
    if (control_port_ == 0) {
      last_ok = std::chrono::steady_clock::now();
      continue;
    }
    if (!control_) {
      auto c = TorControl::connect(control_port_, 2s);
      Status auth =
          c ? c->authenticate_cookie(config_.tor.cookie_file()) : Status(std::unexpected(c.error()));
      if (!auth) {
        log_line("tor", "control port not ready: " + auth.error().message);
      } else {
        control_ = std::move(*c);
        tor_up_ = true;
        last_ok = std::chrono::steady_clock::now();
        auto version = control_->getinfo("version");
        log_line("tor", "control connection up (tor " + (version ? *version : std::string("?")) + ")");
        for (const auto& plane : config_.planes) publish_plane_locked(plane);
      }
    } else {
      auto v = control_->getinfo("version");
      if (v) {
        last_ok = std::chrono::steady_clock::now();
      } else {
        log_line("tor", "control port stopped answering: " + v.error().message);
        withdraw_all_locked("control port does not answer");
      }
    }
    if (std::chrono::steady_clock::now() - last_ok > 10s && tor_ && tor_->pid() > 0) {
      log_line("tor", "control port silent for 10 s: killing tor so that it restarts");
      tor_->kill_tor();
      last_ok = std::chrono::steady_clock::now();
    }
  }
}

std::uint16_t Betad::virtual_port_locked(const std::string& plane, const std::string& service,
                                         std::uint16_t port) {
  auto& table = vports_[plane];
  auto key = std::pair{service, port};
  if (auto it = table.find(key); it != table.end()) return it->second;
  std::set<std::uint16_t> used;
  for (const auto& [k, v] : table) used.insert(v);
  std::uint16_t v = preferred_virtual_port(plane, service, port);
  while (used.contains(v)) v = static_cast<std::uint16_t>(v + 1 >= 60000 ? 10000 : v + 1);
  table[key] = v;
  return v;
}

void Betad::publish_plane_locked(const std::string& plane) {
  auto it = planes_.find(plane);
  if (it == planes_.end()) return;
  Plane& p = it->second;
  std::vector<Plane::Port> ports;
  for (const auto& [id, c] : containers_) {
    if (!c.svc || c.svc->plane != plane || c.svc->ports.empty() || c.plane_ip.empty()) continue;
    for (auto port : c.svc->ports)
      ports.push_back({c.svc->service, c.id.substr(0, 12), port,
                       virtual_port_locked(plane, c.svc->service, port),
                       fmt::format("{}:{}", c.plane_ip, port)});
  }
  std::sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) {
    return std::tie(a.virtual_port, a.target) < std::tie(b.virtual_port, b.target);
  });
  std::vector<PortMapping> mapping;
  for (const auto& port : ports) mapping.push_back({port.virtual_port, port.target});
  // A plane with no exposed service still publishes its identity: virtual port 9 (discard) to a
  // loopback port nothing listens on.
  if (mapping.empty()) mapping.push_back({9, "127.0.0.1:9"});
  if (p.published && mapping == p.mapping) return;
  p.ports = ports;
  if (!control_) return;
  if (!p.tor_service_id.empty()) {
    if (auto s = control_->del_onion(p.tor_service_id); !s)
      log_line("tor", "DEL_ONION " + plane + ": " + s.error().message);
    p.tor_service_id.clear();
    p.published = false;
  }
  auto id = control_->add_onion(p.identity, mapping, false);
  if (!id) {
    publish_failures_++;
    log_line("tor", fmt::format("ADD_ONION for plane {} failed: {}", plane, id.error().message));
    if (id.error().kind == ErrorKind::kIo || id.error().kind == ErrorKind::kCorrupt)
      withdraw_all_locked("control port failed");
    return;
  }
  if (*id != p.address) {
    publish_failures_++;
    log_line("tor", fmt::format("plane {}: tor reports {} but the key derives {}; withdrawing", plane, *id,
                                p.address));
    (void)control_->del_onion(*id);
    return;
  }
  p.tor_service_id = *id;
  p.published = true;
  p.mapping = mapping;
  log_line("tor",
           fmt::format("plane {}: published {}.onion with {} port(s)", plane, p.address, ports.size()));
}

// ---- docker -------------------------------------------------------------------------------------

bool Betad::in_scope(const json& labels) const {
  if (config_.scope_label.empty()) return true;
  auto eq = config_.scope_label.find('=');
  std::string k = config_.scope_label.substr(0, eq);
  std::string v = eq == std::string::npos ? "" : config_.scope_label.substr(eq + 1);
  return labels.is_object() && labels.contains(k) && labels[k].is_string() &&
         (eq == std::string::npos || labels[k].get<std::string>() == v);
}

Status Betad::discover_networks() {
  json filters = {{"label", json::array({kPlaneLabel})}};
  auto list = docker_.get_json("/networks?filters=" + engine::DockerClient::encode(filters.dump()));
  if (!list) return std::unexpected(list.error());
  std::map<std::string, Network> found;
  for (const auto& n : *list) {
    auto labels = n.value("Labels", json::object());
    if (!in_scope(labels)) continue;
    std::string plane = labels.value(kPlaneLabel, "");
    if (std::find(config_.planes.begin(), config_.planes.end(), plane) == config_.planes.end()) {
      log_line("docker", fmt::format("network {} has com.lucid.plane='{}', not one of beta's planes; ignored",
                                     n.value("Name", "?"), plane.substr(0, 64)));
      continue;
    }
    Network net{n.value("Id", ""), n.value("Name", ""), plane, ""};
    if (n.contains("IPAM") && n["IPAM"].contains("Config") && n["IPAM"]["Config"].is_array())
      for (const auto& cfg : n["IPAM"]["Config"])
        if (cfg.contains("Gateway") && net.gateway.empty()) net.gateway = cfg.value("Gateway", "");
    found[net.id] = net;
  }
  std::lock_guard lock(mu_);
  networks_ = std::move(found);
  return {};
}

std::optional<Betad::Container> Betad::inspect(const std::string& id) {
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
  for (const auto& [name, n] : (*j)["NetworkSettings"]["Networks"].items())
    c.ips[n.value("NetworkID", "")] = n.value("IPAddress", "");
  return c;
}

void Betad::on_container_event(const std::string& id) {
  auto c = inspect(id);
  std::unique_lock lock(mu_);
  std::set<std::string> touched;
  if (auto old = containers_.find(id); old != containers_.end()) {
    if (old->second.svc) touched.insert(old->second.svc->plane);
    containers_.erase(old);
  }
  if (c) {
    if (has_lucid_labels(c->labels)) {
      auto svc = parse_service_labels(c->labels, config_.planes);
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
      if (config_.udp_ban) {
        pid_t pid = c->pid;
        lock.unlock();
        auto s = apply_udp_ban(pid);
        lock.lock();
        if (s) {
          c->udp_banned = true;
          udp_bans_applied_++;
        } else {
          udp_ban_failures_++;
          log_line("udp-ban", fmt::format("container {}: {}", c->name, s.error().message));
        }
      }
    }
    containers_[c->id] = *c;
  }
  for (const auto& plane : touched) publish_plane_locked(plane);
}

Status Betad::full_sync() {
  if (auto s = discover_networks(); !s) return s;
  auto list = docker_.get_json("/containers/json");
  if (!list) return std::unexpected(list.error());
  std::set<std::string> running;
  for (const auto& c : *list) running.insert(c.value("Id", ""));
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : containers_)
      if (!running.contains(id)) gone.push_back(id);
  }
  for (const auto& id : gone) on_container_event(id);
  for (const auto& id : running) on_container_event(id);
  std::lock_guard lock(mu_);
  docker_synced_ = true;
  return {};
}

void Betad::watcher_loop() {
  while (!stopping_) {
    auto since =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count() -
        1;
    if (auto s = full_sync(); !s) {
      log_line("docker", "sync failed: " + s.error().message);
      std::unique_lock lock(mu_);
      docker_synced_ = false;
      cv_.wait_for(lock, 2s, [&] { return stopping_.load(); });
      continue;
    }
    json filters = {{"type", json::array({"container"})}, {"event", json::array({"start", "die"})}};
    std::string path =
        fmt::format("/events?since={}&filters={}", since, engine::DockerClient::encode(filters.dump()));
    auto s = docker_.stream_events(
        path,
        [this](const json& ev) {
          std::string id = ev.value("id", "");
          if (!id.empty()) on_container_event(id);
        },
        [this] { return stopping_.load(); });
    if (!s) {
      log_line("docker", s.error().message + "; resyncing");
      std::unique_lock lock(mu_);
      docker_synced_ = false;
      cv_.wait_for(lock, 1s, [&] { return stopping_.load(); });
    }
  }
}

// ---- HTTP ---------------------------------------------------------------------------------------

std::optional<std::pair<std::string, std::string>> Betad::identify_caller(const std::string& local_ip,
                                                                          const std::string& peer_ip) {
  std::string plane;
  {
    std::lock_guard lock(mu_);
    auto it = listener_plane_.find(local_ip);
    if (it == listener_plane_.end()) return std::nullopt;
    plane = it->second;
    for (const auto& [id, c] : containers_)
      for (const auto& [nid, ip] : c.ips)
        if (ip == peer_ip && networks_.contains(nid) && networks_[nid].plane == plane)
          return std::pair{
              c.labels.contains(kServiceLabel) ? c.labels.at(kServiceLabel) : std::string("unknown"), plane};
  }
  return std::pair{std::string("unknown"), plane};
}

http::Response Betad::resolve(const std::string& target, const std::string& caller,
                              const std::string& caller_plane, bool operator_call) {
  std::string what = target.substr(std::string("/v1/resolve/").size());
  if (auto q = what.find('?'); q != std::string::npos) what.resize(q);
  auto sp = split_service_at_plane(what);
  if (!sp) return json_response(400, {{"error", "expected /v1/resolve/<service>@<plane>"}});
  auto [service, plane] = *sp;
  std::lock_guard lock(mu_);
  auto count = [&](const char* result) { resolutions_[plane][result]++; };
  auto p = planes_.find(plane);
  if (p == planes_.end()) {
    count("not_found");
    return json_response(404, {{"error", "unknown plane " + plane.substr(0, 64)}});
  }
  if (!operator_call) {
    auto d = acl_.check(caller, caller_plane, service, plane);
    if (!d.allowed) {
      count("denied");
      denials_[plane]++;
      log_line("acl",
               fmt::format("denied {}@{} -> {}@{}: {}", caller, caller_plane, service, plane, d.reason));
      return json_response(403, {{"error", "denied"}, {"reason", d.reason}});
    }
  }
  if (!tor_up_ || !p->second.published) {
    count("unavailable");
    return json_response(503, {{"error", "tor is down or the plane's onion is not published (fail-closed)"}});
  }
  json ports = json::array();
  for (const auto& port : p->second.ports)
    if (port.service == service) {
      bool dup = false;
      for (const auto& e : ports) dup = dup || e["port"] == port.virtual_port;
      if (!dup) ports.push_back({{"container_port", port.container_port}, {"port", port.virtual_port}});
    }
  if (ports.empty()) {
    count("not_found");
    return json_response(404, {{"error", fmt::format("{}@{} is not published", service, plane)}});
  }
  count("ok");
  const auto& pk = p->second.identity.public_key();
  return json_response(200, {{"service", service},
                             {"plane", plane},
                             {"onion", p->second.address + ".onion"},
                             {"port", ports[0]["port"]},
                             {"ports", ports},
                             {"public_key", to_hex(pk)},
                             {"public_key_base64", base64_encode(pk)}});
}

http::Response Betad::handle_resolver(const http::Request& req) {
  if (req.method != "GET") return json_response(405, {{"error", "GET only"}});
  if (!req.target.starts_with("/v1/resolve/")) return json_response(404, {{"error", "not found"}});
  auto caller = identify_caller(req.local_ip, req.peer_ip);
  if (!caller) return json_response(403, {{"error", "caller's network is not a plane network"}});
  return resolve(req.target, caller->first, caller->second, false);
}

nlohmann::json Betad::health_locked(bool& ok) {
  json problems = json::array();
  if (!tor_up_) problems.push_back("tor control port does not answer");
  json planes = json::object();
  for (const auto& [name, p] : planes_) {
    planes[name] = {{"published", p.published}, {"address", p.address + ".onion"}};
    if (!p.published) problems.push_back("onion of plane " + name + " is not published");
  }
  if (!docker_synced_) problems.push_back("label watcher is not in sync with the docker engine");
  ok = problems.empty();
  return {{"ok", ok},
          {"tor", tor_up_},
          {"tor_pid", tor_ ? tor_->pid() : 0},
          {"planes", planes},
          {"problems", problems}};
}

nlohmann::json Betad::onions_locked() {
  json out = json::array();
  for (const auto& [name, p] : planes_) {
    json ports = json::array();
    for (const auto& port : p.ports)
      ports.push_back({{"service", port.service},
                       {"container", port.container},
                       {"container_port", port.container_port},
                       {"virtual_port", port.virtual_port},
                       {"target", port.target}});
    out.push_back({{"plane", name},
                   {"address", p.address + ".onion"},
                   {"tor_service_id", p.tor_service_id},
                   {"published", p.published},
                   {"public_key", to_hex(p.identity.public_key())},
                   {"ports", ports}});
  }
  return {{"tor", tor_up_}, {"onions", out}};
}

std::string Betad::metrics_locked() {
  std::string m;
  m += "# HELP beta_onion_published 1 when the plane's onion is published.\n# TYPE beta_onion_published "
       "gauge\n";
  for (const auto& [name, p] : planes_)
    m += fmt::format("beta_onion_published{{plane=\"{}\"}} {}\n", name, p.published ? 1 : 0);
  m += "# TYPE beta_onion_ports gauge\n";
  for (const auto& [name, p] : planes_)
    m += fmt::format("beta_onion_ports{{plane=\"{}\"}} {}\n", name, p.published ? p.ports.size() : 0);
  m += "# HELP beta_resolutions_total Resolution requests by plane and result.\n# TYPE "
       "beta_resolutions_total counter\n";
  for (const auto& [plane, results] : resolutions_)
    for (const auto& [result, n] : results)
      m += fmt::format("beta_resolutions_total{{plane=\"{}\",result=\"{}\"}} {}\n", plane, result, n);
  m += "# TYPE beta_acl_denials_total counter\n";
  for (const auto& plane : config_.planes)
    m += fmt::format("beta_acl_denials_total{{plane=\"{}\"}} {}\n", plane,
                     denials_.contains(plane) ? denials_[plane] : 0);
  m += fmt::format("# TYPE beta_tor_up gauge\nbeta_tor_up {}\n", tor_up_ ? 1 : 0);
  m += fmt::format("# TYPE beta_tor_restarts_total counter\nbeta_tor_restarts_total {}\n",
                   tor_ ? tor_->restarts() : 0);
  m += fmt::format("# TYPE beta_label_errors_total counter\nbeta_label_errors_total {}\n", label_errors_);
  m += fmt::format("# TYPE beta_udp_bans_applied_total counter\nbeta_udp_bans_applied_total {}\n",
                   udp_bans_applied_);
  m += fmt::format("# TYPE beta_udp_ban_failures_total counter\nbeta_udp_ban_failures_total {}\n",
                   udp_ban_failures_);
  m += fmt::format("# TYPE beta_publish_failures_total counter\nbeta_publish_failures_total {}\n",
                   publish_failures_);
  return m;
}

http::Response Betad::handle_admin(const http::Request& req) {
  if (req.method != "GET") return json_response(405, {{"error", "GET only"}});
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (req.target.starts_with("/v1/resolve/")) return resolve(req.target, "operator", "", true);
  if (path == "/v1/acl/check") {
    auto from = split_service_at_plane(query_param(req.target, "from"));
    auto to = split_service_at_plane(query_param(req.target, "to"));
    if (!from || !to) return json_response(400, {{"error", "from and to must be SERVICE@PLANE"}});
    auto d = acl_.check(from->first, from->second, to->first, to->second);
    return json_response(200, {{"allowed", d.allowed}, {"reason", d.reason}});
  }
  if (path == "/v1/health") {
    std::lock_guard lock(mu_);
    bool ok = false;
    auto body = health_locked(ok);
    return json_response(ok ? 200 : 503, body);
  }
  if (path == "/v1/onions") {
    std::lock_guard lock(mu_);
    return json_response(200, onions_locked());
  }
  if (path == "/metrics") {
    std::lock_guard lock(mu_);
    return {200, "text/plain; version=0.0.4", metrics_locked()};
  }
  return json_response(404, {{"error", "not found"}});
}

}  // namespace lucid::beta
