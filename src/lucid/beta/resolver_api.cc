#include "lucid/beta/resolver_api.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "lucid/base/base64.h"
#include "lucid/base/hex.h"
#include "lucid/base/prometheus.h"
#include "lucid/base/text.h"
#include "lucid/beta/log.h"

namespace lucid::beta {
namespace {

using http::json_response;
using nlohmann::json;

}  // namespace

ResolverApi::ResolverApi(std::vector<std::string> planes, AclPolicy acl, const PlanePublisher& publisher,
                         const LabelWatcher& watcher)
    : planes_(std::move(planes)), acl_(std::move(acl)), publisher_(publisher), watcher_(watcher) {}

ResolverApi::~ResolverApi() {
  stop();
}

Status ResolverApi::start(Listeners listeners) {
  listener_plane_ = std::move(listeners.resolver_plane);
  auto admin =
      http::Server::start({listeners.admin}, [this](const http::Request& r) { return handle_admin(r); });
  if (!admin) return std::unexpected(with_context("admin listener", admin.error()));
  admin_ = std::move(*admin);
  for (const auto& address : listeners.resolver) {
    auto res = http::Server::start({address}, [this](const http::Request& r) { return handle_resolver(r); });
    if (!res) return std::unexpected(with_context("resolver listener " + address, res.error()));
    resolvers_.push_back(std::move(*res));
  }
  if (!listeners.resolver.empty()) {
    log_line("resolver", fmt::format("listening on {}", fmt::join(listeners.resolver, ", ")));
  } else {
    log_line("resolver", "no plane network found: resolver serves only the admin port");
  }
  if (!listeners.metrics.empty()) {
    auto m =
        http::Server::start(listeners.metrics, [this](const http::Request& r) { return handle_metrics(r); });
    if (!m) return std::unexpected(with_context("metrics listener", m.error()));
    metrics_ = std::move(*m);
    log_line("metrics", fmt::format("/metrics on {}", fmt::join(listeners.metrics, ", ")));
  }
  return {};
}

void ResolverApi::stop() {
  if (metrics_) metrics_->stop();
  for (auto& r : resolvers_) r->stop();
  if (admin_) admin_->stop();
}

void ResolverApi::count(const std::string& plane, const char* result) {
  // Bounded series: a plane beta does not serve is one "unknown" series, whatever was asked.
  const bool known = std::find(planes_.begin(), planes_.end(), plane) != planes_.end();
  MutexLock lock(mu_);
  resolutions_[known ? plane : "unknown"][result]++;
}

http::Response ResolverApi::resolve(const std::string& target, const std::string& caller,
                                    const std::string& caller_plane, bool operator_call) {
  std::string what = target.substr(std::string("/v1/resolve/").size());
  if (auto q = what.find('?'); q != std::string::npos) what.resize(q);
  auto sp = split_service_at_plane(what);
  if (!sp) return json_response(400, {{"error", "expected /v1/resolve/<service>@<plane>"}});
  auto [service, plane] = *sp;
  // A copy of the plane's state: no lock is held below, and none of the publisher's while it
  // talks to tor.
  auto found = publisher_.lookup(plane);
  if (!found) {
    count(plane, "not_found");
    return json_response(404, {{"error", "unknown plane " + plane.substr(0, 64)}});
  }
  if (!operator_call) {
    auto d = acl_.check(caller, caller_plane, service, plane);
    if (!d.allowed) {
      count(plane, "denied");
      {
        MutexLock lock(mu_);
        denials_[plane]++;
      }
      log_line("acl",
               fmt::format("denied {}@{} -> {}@{}: {}", caller, caller_plane, service, plane, d.reason));
      return json_response(403, {{"error", "denied"}, {"reason", d.reason}});
    }
  }
  const PlaneState& p = found->plane;
  if (!found->tor_up || !p.published) {
    count(plane, "unavailable");
    return json_response(503, {{"error", "tor is down or the plane's onion is not published (fail-closed)"}});
  }
  json ports = json::array();
  for (const auto& port : p.published_ports)
    if (port.service == service) {
      bool dup = false;
      for (const auto& e : ports) dup = dup || e["port"] == port.virtual_port;
      if (!dup) ports.push_back({{"container_port", port.container_port}, {"port", port.virtual_port}});
    }
  if (ports.empty()) {
    count(plane, "not_found");
    return json_response(404, {{"error", fmt::format("{}@{} is not published", service, plane)}});
  }
  count(plane, "ok");
  return json_response(200, {{"service", service},
                             {"plane", plane},
                             {"onion", p.address + ".onion"},
                             {"port", ports[0]["port"]},
                             {"ports", ports},
                             {"public_key", to_hex(p.public_key)},
                             {"public_key_base64", base64_encode(p.public_key)}});
}

http::Response ResolverApi::handle_resolver(const http::Request& req) {
  if (req.method != "GET") return json_response(405, {{"error", "GET only"}});
  if (!req.target.starts_with("/v1/resolve/")) return json_response(404, {{"error", "not found"}});
  // The caller's plane is the network its request arrived on; its service, the label of the
  // container with its source IP on that network.
  auto listener = listener_plane_.find(req.local_ip);
  if (listener == listener_plane_.end())
    return json_response(403, {{"error", "caller's network is not a plane network"}});
  const std::string& plane = listener->second;
  return resolve(req.target, watcher_.service_at(req.peer_ip, plane), plane, false);
}

http::Response ResolverApi::health() const {
  auto tor = publisher_.snapshot();
  auto docker = watcher_.counters();
  json problems = json::array();
  if (!tor.tor_up) problems.push_back("tor control port does not answer");
  json planes = json::object();
  for (const auto& [name, p] : tor.planes) {
    planes[name] = {{"published", p.published}, {"address", p.address + ".onion"}};
    if (!p.published) problems.push_back("onion of plane " + name + " is not published");
  }
  if (!docker.synced) problems.push_back("label watcher is not in sync with the docker engine");
  for (const auto& container : docker.unbanned)
    problems.push_back("UDP ban not in place, services withdrawn: " + container);
  for (const auto& container : docker.stale_admission)
    problems.push_back("ACL admission not up to date: " + container);
  const bool ok = problems.empty();
  return json_response(ok ? 200 : 503, {{"ok", ok},
                                        {"tor", tor.tor_up},
                                        {"tor_pid", tor.tor_pid},
                                        {"planes", planes},
                                        {"problems", problems}});
}

http::Response ResolverApi::onions() const {
  auto tor = publisher_.snapshot();
  json out = json::array();
  for (const auto& [name, p] : tor.planes) {
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
                   {"public_key", to_hex(p.public_key)},
                   {"client_auth_key", p.client_auth_key},
                   {"ports", ports}});
  }
  return json_response(200, {{"tor", tor.tor_up}, {"onions", out}});
}

std::string ResolverApi::metrics() const {
  auto tor = publisher_.snapshot();
  auto docker = watcher_.counters();
  std::map<std::string, std::map<std::string, long>> resolutions;
  std::map<std::string, long> denials;
  {
    MutexLock lock(mu_);
    resolutions = resolutions_;
    denials = denials_;
  }
  PrometheusWriter m;
  m.family("beta_onion_published", "gauge", "1 when the plane's onion is published.");
  for (const auto& [name, p] : tor.planes) m.sample("beta_onion_published", {{"plane", name}}, p.published);
  m.family("beta_onion_ports", "gauge", "Ports the plane's published onion carries.");
  for (const auto& [name, p] : tor.planes)
    m.sample("beta_onion_ports", {{"plane", name}}, p.published ? p.published_ports.size() : 0);
  m.family("beta_resolutions_total", "counter", "Resolution requests by plane and result.");
  for (const auto& [plane, results] : resolutions)
    for (const auto& [result, n] : results)
      m.sample("beta_resolutions_total", {{"plane", plane}, {"result", result}}, n);
  m.family("beta_acl_denials_total", "counter", "Resolutions the plane ACL denied, by plane.");
  for (const auto& plane : planes_)
    m.sample("beta_acl_denials_total", {{"plane", plane}}, denials.contains(plane) ? denials[plane] : 0L);
  m.single("beta_tor_up", "gauge", "1 while tor's control port answers.", tor.tor_up);
  m.single("beta_tor_restarts_total", "counter", "Times tor was restarted.", tor.tor_restarts);
  m.single("beta_label_errors_total", "counter", "Containers whose com.lucid.* labels were refused.",
           docker.label_errors);
  m.single("beta_udp_bans_applied_total", "counter", "UDP bans applied to labelled containers.",
           docker.udp_bans_applied);
  m.single("beta_udp_ban_failures_total", "counter",
           "Namespace rules (UDP ban, ACL admission) that could not be applied.", docker.udp_ban_failures);
  m.single("beta_udp_unbanned_containers", "gauge",
           "Labelled containers whose UDP ban is not in place (their services are withdrawn).",
           docker.unbanned.size());
  m.single("beta_acl_admission_updates_total", "counter",
           "Admissions of deny-by-default plane containers rewritten as their allowed callers came and went.",
           docker.admission_updates);
  m.single("beta_acl_stale_admissions", "gauge",
           "Containers whose ACL admission could not be brought up to date (retried).",
           docker.stale_admission.size());
  m.single("beta_publish_failures_total", "counter", "ADD_ONION calls that failed.", tor.publish_failures);
  if (socks_ != nullptr) {
    const auto socks = socks_->counters();
    m.family("beta_socks_connections_total", "counter",
             "SOCKS front and tunnel connections by plane and result (relayed: to this cluster's service; "
             "relayed_tor: to another cluster's onion through tor; tunnelled: through a tunnel of "
             "policies/tunnels.yaml; denied, failed, busy).");
    for (const auto& plane : planes_)
      for (const char* result : {"relayed", "relayed_tor", "tunnelled", "denied", "failed", "busy"}) {
        const auto p = socks.connections.find(plane);
        const long n = p == socks.connections.end() || !p->second.contains(result) ? 0 : p->second.at(result);
        m.sample("beta_socks_connections_total", {{"plane", plane}, {"result", result}}, n);
      }
    m.family("beta_socks_open_connections", "gauge", "Connections the SOCKS front relays now.");
    for (const auto& plane : planes_)
      m.sample("beta_socks_open_connections", {{"plane", plane}},
               socks.open.contains(plane) ? socks.open.at(plane) : 0L);
  }
  return m.take();
}

http::Response ResolverApi::handle_metrics(const http::Request& req) const {
  // What the ops onion carries: nothing but the metrics text, never the admin API.
  if (req.method != "GET") return json_response(405, {{"error", "GET only"}});
  if (req.target.substr(0, req.target.find('?')) != "/metrics")
    return json_response(404, {{"error", "not found"}});
  return {200, "text/plain; version=0.0.4", metrics()};
}

http::Response ResolverApi::handle_admin(const http::Request& req) {
  if (req.method != "GET") return json_response(405, {{"error", "GET only"}});
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (req.target.starts_with("/v1/resolve/")) return resolve(req.target, "operator", "", true);
  if (path == "/v1/acl/check") {
    auto from_text = http::query_param(req.target, "from");
    auto to_text = http::query_param(req.target, "to");
    if (!from_text || !to_text)
      return json_response(400, {{"error", (!from_text ? from_text : to_text).error().message}});
    auto from = split_service_at_plane(*from_text);
    auto to = split_service_at_plane(*to_text);
    if (!from || !to) return json_response(400, {{"error", "from and to must be SERVICE@PLANE"}});
    auto d = acl_.check(from->first, from->second, to->first, to->second);
    return json_response(200, {{"allowed", d.allowed}, {"reason", d.reason}});
  }
  if (path == "/v1/health") return health();
  if (path == "/v1/onions") return onions();
  if (path == "/metrics") return {200, "text/plain; version=0.0.4", metrics()};
  return json_response(404, {{"error", "not found"}});
}

}  // namespace lucid::beta
