#include "lucid/beta/betad.h"

#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/beta/acl.h"
#include "lucid/beta/log.h"
#include "lucid/beta/onion_key.h"

namespace lucid::beta {

Result<std::unique_ptr<Betad>> Betad::create(BetadConfig config) {
  if (config.planes.empty()) return fail(ErrorKind::kInvalidArgument, "BETA_PLANES is empty");
  std::unique_ptr<Betad> d(new Betad(std::move(config)));
  const BetadConfig& c = d->config_;
  std::map<std::string, OnionIdentity> identities;
  for (const auto& plane : c.planes) {
    auto id = load_or_create_identity(c.key_dir, c.cluster_id, plane);
    if (!id) return std::unexpected(with_context("onion key for plane " + plane, id.error()));
    identities.emplace(plane, std::move(*id));
  }
  AclPolicy acl;
  if (c.acl_file) {
    auto loaded = AclPolicy::load(*c.acl_file);
    if (!loaded) return std::unexpected(loaded.error());
    acl = std::move(*loaded);
  } else {
    acl = AclPolicy::defaults(c.planes);
  }
  d->publisher_ = std::make_unique<PlanePublisher>(std::move(identities),
                                                   PlanePublisher::Options{c.tor, c.tor_probe_interval});
  PlanePublisher& publisher = *d->publisher_;
  d->watcher_ = std::make_unique<LabelWatcher>(
      d->docker_, LabelWatcher::Options{c.planes, c.scope_label, c.udp_ban},
      [&publisher](const std::string& plane, const std::vector<PlaneTarget>& targets) {
        publisher.set_targets(plane, targets);
      });
  d->api_ = std::make_unique<ResolverApi>(c.planes, std::move(acl), *d->publisher_, *d->watcher_);
  return d;
}

Betad::~Betad() {
  stop();
}

Result<std::pair<std::vector<std::string>, std::map<std::string, std::string>>> Betad::resolver_listeners()
    const {
  std::vector<std::string> listen;
  std::map<std::string, std::string> listener_plane;  // local ip -> plane
  if (config_.resolver_listen.empty()) {
    // In a container: beta's own address on each plane network; on a host: the network's gateway.
    const char* hostname = std::getenv("HOSTNAME");
    std::string self = hostname ? hostname : "";
    std::map<std::string, std::string> self_ips;
    if (!self.empty())
      if (auto c = docker_.get_json("/containers/" + engine::DockerClient::encode(self) + "/json"))
        for (const auto& [name, n] : (*c)["NetworkSettings"]["Networks"].items())
          self_ips[n.value("NetworkID", "")] = n.value("IPAddress", "");
    for (const auto& net : watcher_->networks()) {
      std::string ip =
          self_ips.contains(net.id) && !self_ips[net.id].empty() ? self_ips[net.id] : net.gateway;
      if (ip.empty()) continue;
      listen.push_back(fmt::format("{}:{}", ip, config_.resolver_port));
      listener_plane[ip] = net.plane;
    }
  } else {
    for (const auto& entry : config_.resolver_listen) {
      auto eq = entry.find('=');
      if (eq == std::string::npos)
        return fail(ErrorKind::kInvalidArgument, "resolver listen '" + entry + "' is not ip:port=plane");
      std::string addr = entry.substr(0, eq);
      listen.push_back(addr);
      listener_plane[addr.substr(0, addr.rfind(':'))] = entry.substr(eq + 1);
    }
  }
  return std::pair{std::move(listen), std::move(listener_plane)};
}

Status Betad::start() {
  // Networks first: the resolver listens on beta's address on each plane network.
  if (auto s = watcher_->discover_networks(); !s)
    log_line("docker", "cannot list plane networks yet: " + s.error().message);
  auto listeners = resolver_listeners();
  if (!listeners) return std::unexpected(listeners.error());
  if (auto s = api_->start(config_.admin_listen, listeners->first, std::move(listeners->second)); !s)
    return s;
  if (auto s = publisher_->start(); !s) return s;
  watcher_->start();
  log_line("betad",
           fmt::format("admin on {}; planes {}", config_.admin_listen, fmt::join(config_.planes, ",")));
  return {};
}

void Betad::stop() {
  if (stopping_.exchange(true)) return;
  // create() may have failed before making every part.
  if (watcher_) watcher_->stop();
  if (api_) api_->stop();
  if (publisher_) publisher_->stop();  // withdraws every onion, then stops tor
}

}  // namespace lucid::beta
