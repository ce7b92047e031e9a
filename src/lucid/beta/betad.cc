#include "lucid/beta/betad.h"

#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/base/files.h"
#include "lucid/base/tcp.h"
#include "lucid/beta/acl.h"
#include "lucid/beta/log.h"
#include "lucid/beta/namespace_rules.h"
#include "lucid/beta/onion_key.h"

namespace lucid::beta {

namespace {

// kAuto and an empty helper image made concrete: the helper runs beta's own image. Being in a
// container the engine does not know (say, a CI job's container with the host's engine socket)
// is being on a host.
Result<UdpBanSettings> concrete_udp_ban(const engine::DockerClient& docker, UdpBanSettings s) {
  const bool needs_self = s.method == UdpBanMethod::kAuto ||
                          (s.method == UdpBanMethod::kHelperContainer && s.helper_image.empty());
  if (!needs_self) return s;
  std::optional<nlohmann::json> self;
  if (auto id = own_container_id()) {
    auto j = docker.get_json("/containers/" + *id + "/json");
    if (j)
      self = std::move(*j);
    else if (j.error().kind != ErrorKind::kNotFound)
      return fail(j.error().kind,
                  "UDP ban: cannot ask the engine about beta's own container: " + j.error().message);
  }
  if (s.method == UdpBanMethod::kAuto)
    s.method = self ? UdpBanMethod::kHelperContainer : UdpBanMethod::kNsenter;
  if (s.method == UdpBanMethod::kHelperContainer && s.helper_image.empty()) {
    if (!self)
      return fail(ErrorKind::kInvalidArgument,
                  "UDP ban through a helper container needs --udp-ban-image when betad does not run in a "
                  "container of this engine");
    s.helper_image = self->value("Image", "");
  }
  return s;
}

// A setting given as a file (a command-line option, which wins) or as its text (an environment
// variable the cluster render sets), with a name for where it came from; nullopt when neither is.
struct SettingText {
  std::string text, source;
};
Result<std::optional<SettingText>> setting_text(const std::optional<std::filesystem::path>& file,
                                                const std::optional<std::string>& text, const char* option,
                                                const char* variable, const char* what) {
  if (file) {
    auto read = read_text_file(*file);
    if (!read) return std::unexpected(with_context(option, read.error()));
    return SettingText{std::move(*read), file->string()};
  }
  if (text) return SettingText{*text, fmt::format("{} in the config repo ({})", what, variable)};
  return std::optional<SettingText>();
}

// Other clusters' onions the SOCKS front relays through tor, and their client authorization keys:
// --directory, else BETA_DIRECTORY (the cluster render's copy of the other clusters' pins), else
// none. Where it came from is logged.
Result<Directory> load_directory(const BetadConfig& c) {
  auto setting = setting_text(c.directory_file, c.directory_text, "--directory", "BETA_DIRECTORY",
                              "the other clusters' onion pins");
  if (!setting) return std::unexpected(setting.error());
  if (!*setting) {
    log_line("socks",
             "no directory: other clusters' onions are refused (no --directory and no BETA_DIRECTORY)");
    return Directory{};
  }
  auto directory = parse_directory((*setting)->text);
  if (!directory) return std::unexpected(with_context((*setting)->source, directory.error()));
  if (!directory->onions.empty() && !tcp::parse_ipv4_endpoint(c.tor.socks_listen))
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("{}: the SOCKS front relays other clusters' onions through tor's SocksPort, which must "
                    "then be a fixed ip:port (--socks {} is not one)",
                    (*setting)->source, c.tor.socks_listen));
  std::size_t keys = 0;
  for (const auto& [plane, list] : directory->clients) keys += list.size();
  log_line("socks", fmt::format("directory from {}: {} onion(s) and {} client key(s) of other clusters",
                                (*setting)->source, directory->onions.size(), keys));
  return directory;
}

// What tor needs for client authorization: on each plane of this beta, the other clusters' keys it
// admits (a plane with none stays readable by anyone who has its address), and the other clusters'
// onions of this beta's planes, which it reads with its own key of that plane.
PlanePublisher::Options publisher_options(const BetadConfig& c, const Directory& directory) {
  PlanePublisher::Options o{c.tor, c.tor_probe_interval, {}, {}};
  for (const auto& plane : c.planes) {
    if (auto keys = directory.clients.find(plane); keys != directory.clients.end())
      o.authorized_clients[plane] = keys->second;
    const auto& list = o.authorized_clients[plane];
    log_line("tor", list.empty()
                        ? fmt::format("plane {}: onion without client authorization (no other cluster "
                                      "pins a key for it)",
                                      plane)
                        : fmt::format("plane {}: onion readable by {} client key(s) of other clusters", plane,
                                      list.size()));
  }
  for (const auto& [label, remote] : directory.onions)
    if (std::find(c.planes.begin(), c.planes.end(), remote.plane) != c.planes.end())
      o.client_of[label] = remote.plane;
  return o;
}

// This cluster's tunnels: --tunnels, else BETA_TUNNELS (policies/tunnels.yaml of the config repo),
// else none. An entry of this cluster that cannot be served stops betad with the reason, like a
// policy that does not parse: the commit never turns healthy.
Result<std::vector<TunnelRoute>> load_tunnels(const BetadConfig& c, const OnionDirectory& directory) {
  auto setting =
      setting_text(c.tunnels_file, c.tunnels_text, "--tunnels", "BETA_TUNNELS", "policies/tunnels.yaml");
  if (!setting) return std::unexpected(setting.error());
  if (!*setting) return std::vector<TunnelRoute>{};
  auto tunnels = parse_tunnels((*setting)->text);
  if (!tunnels) return std::unexpected(with_context((*setting)->source, tunnels.error()));
  const std::set<std::uint16_t> taken{c.resolver_port, c.socks_port, c.metrics_port};
  auto routes = tunnel_routes(*tunnels, c.cluster_id, c.planes, directory, taken);
  if (!routes) return std::unexpected(with_context((*setting)->source, routes.error()));
  log_line("tunnel", fmt::format("{} tunnel(s) of this cluster from {}", routes->size(), (*setting)->source));
  return routes;
}

// The policy and where it came from, logged so an operator sees which one beta enforces.
Result<AclPolicy> load_acl(const BetadConfig& c) {
  AclPolicy acl;
  std::string source;
  if (c.acl_file) {
    auto loaded = AclPolicy::load(*c.acl_file);
    if (!loaded) return std::unexpected(loaded.error());
    acl = std::move(*loaded);
    source = c.acl_file->string();
  } else if (c.acl_text) {
    auto parsed = AclPolicy::parse(*c.acl_text);
    if (!parsed)
      return fail(parsed.error().kind,
                  "BETA_ACL_POLICY (policies/acl.yaml of the config repo, given by the cluster render): " +
                      parsed.error().message);
    acl = std::move(*parsed);
    source = "policies/acl.yaml of the config repo (BETA_ACL_POLICY)";
  } else {
    acl = AclPolicy::defaults(c.planes);
    source = "the built-in default (no --acl and no BETA_ACL_POLICY)";
  }
  std::vector<std::string> planes;
  for (const auto& plane : c.planes) {
    auto it = acl.planes().find(plane);
    planes.push_back(it == acl.planes().end() ? plane + " not in the policy (denied)"
                     : it->second.allow_same_plane
                         ? plane + " allow-same-plane"
                         : fmt::format("{} deny with {} allow entr{}", plane, it->second.allow.size(),
                                       it->second.allow.size() == 1 ? "y" : "ies"));
  }
  log_line("acl", fmt::format("{}: {}", source, fmt::join(planes, ", ")));
  return acl;
}

// The container betad runs in (its id, else the HOSTNAME the engine sets), or empty on a host.
std::string self_container() {
  if (auto id = own_container_id()) return *id;
  const char* hostname = std::getenv("HOSTNAME");
  return hostname ? hostname : "";
}

}  // namespace

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
  auto acl = load_acl(c);
  if (!acl) return std::unexpected(acl.error());
  auto udp_ban = concrete_udp_ban(d->docker_, c.udp_ban);
  if (!udp_ban) return std::unexpected(udp_ban.error());
  log_line("udp-ban", udp_ban->method == UdpBanMethod::kHelperContainer
                          ? "applied by a helper container of image " + udp_ban->helper_image
                          : "applied by " + to_string(udp_ban->method));
  auto directory = load_directory(c);
  if (!directory) return std::unexpected(directory.error());
  d->publisher_ = std::make_unique<PlanePublisher>(std::move(identities), publisher_options(c, *directory));
  PlanePublisher& publisher = *d->publisher_;
  d->watcher_ = std::make_unique<LabelWatcher>(
      d->docker_,
      LabelWatcher::Options{c.planes, c.scope_label, *udp_ban, c.udp_ban_retry, *acl, self_container()},
      [&publisher](const std::string& plane, const std::vector<PlaneTarget>& targets) {
        publisher.set_targets(plane, targets);
      });
  auto tunnels = load_tunnels(c, directory->onions);
  if (!tunnels) return std::unexpected(tunnels.error());
  SocksFront::Options socks_options;
  socks_options.tor_socks = c.tor.socks_listen;
  d->socks_ = std::make_unique<SocksFront>(*acl, std::move(directory->onions), std::move(*tunnels),
                                           *d->publisher_, *d->watcher_, socks_options);
  d->api_ = std::make_unique<ResolverApi>(c.planes, std::move(*acl), *d->publisher_, *d->watcher_);
  d->api_->attach_socks(*d->socks_);
  return d;
}

Betad::~Betad() {
  stop();
}

Result<Betad::Listeners> Betad::listeners() const {
  Listeners where;
  ResolverApi::Listeners& out = where.api;
  out.admin = config_.admin_listen;
  // In a container: beta's own address on each plane network; on a host: the network's gateway.
  for (const auto& net : watcher_->networks()) {
    const std::string& ip = net.beta_ip;
    if (ip.empty()) continue;
    if (config_.resolver_listen.empty()) {
      out.resolver.push_back(fmt::format("{}:{}", ip, config_.resolver_port));
      out.resolver_plane[ip] = net.plane;
    }
    if (config_.metrics_port != 0 && net.plane == config_.metrics_plane)
      out.metrics.push_back(fmt::format("{}:{}", ip, config_.metrics_port));
    if (config_.socks_port != 0) where.socks[fmt::format("{}:{}", ip, config_.socks_port)] = net.plane;
    for (std::size_t i = 0; i < socks_->tunnels().size(); ++i)
      if (socks_->tunnels()[i].tunnel.plane == net.plane)
        where.tunnels[fmt::format("{}:{}", ip, socks_->tunnels()[i].tunnel.listen)] = i;
  }
  for (const auto& entry : config_.resolver_listen) {
    auto eq = entry.find('=');
    if (eq == std::string::npos)
      return fail(ErrorKind::kInvalidArgument, "resolver listen '" + entry + "' is not ip:port=plane");
    std::string addr = entry.substr(0, eq);
    out.resolver.push_back(addr);
    out.resolver_plane[addr.substr(0, addr.rfind(':'))] = entry.substr(eq + 1);
  }
  return where;
}

Status Betad::start() {
  // Networks first: the resolver and metrics listen on beta's address on the plane networks.
  if (auto s = watcher_->discover_networks(); !s)
    log_line("docker", "cannot list plane networks yet: " + s.error().message);
  auto where = listeners();
  if (!where) return std::unexpected(where.error());
  if (auto s = api_->start(std::move(where->api)); !s) return s;
  if (auto s = socks_->start(where->socks, where->tunnels); !s) return s;
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
  if (socks_) socks_->stop();
  if (publisher_) publisher_->stop();  // withdraws every onion, then stops tor
}

}  // namespace lucid::beta
