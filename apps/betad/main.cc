// betad: the beta sidecar daemon (issue 7). Thin: flags and environment into BetadConfig, then
// run until SIGTERM/SIGINT. The UDP ban needs, in a container, only the engine socket (a helper
// container does it); on a host, root (nsenter + nft).
#include <signal.h>

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lucid/base/env.h"
#include "lucid/base/files.h"
#include "lucid/base/process_hardening.h"
#include "lucid/beta/betad.h"
#include "lucid/beta/log.h"

namespace {

using lucid::env_or;

}  // namespace

int main(int argc, char** argv) {
  // Keys live in this process: no core file, no same-user ptrace or /proc/<pid>/mem reads
  // (docs/operations.md "Secrets in memory").
  if (auto hardened = lucid::harden_process(); !hardened) {
    fmt::print(stderr, "betad: {}\n", hardened.error().message);
    return 2;
  }
  lucid::beta::BetadConfig config;
  CLI::App app{"betad — Tor onion services per plane, label watcher, resolver, ACLs, UDP ban"};
  std::string planes = env_or("BETA_PLANES", "ops,chain,wallet");
  std::string key_dir = "/var/lib/beta/keys", state_dir = "/var/lib/beta/tor", acl;
  config.cluster_id = env_or("BETA_CLUSTER_ID", "");
  bool no_udp_ban = false;
  std::string udp_ban_method = "auto";
  app.add_option("--cluster-id", config.cluster_id, "cluster id scoping the key files (env BETA_CLUSTER_ID)");
  app.add_option("--planes", planes, "comma-separated planes (env BETA_PLANES)");
  app.add_option("--key-dir", key_dir, "directory of <cluster>/<plane>.onion-key files (mode 0600)");
  app.add_option("--state-dir", state_dir, "tor's private state: torrc, DataDirectory, cookie");
  app.add_option("--socks", config.tor.socks_listen,
                 "tor's own SocksPort, on beta's loopback (ip:port or ip:auto); callers use the front");
  app.add_flag("--disable-network", config.tor.disable_network,
               "tor DisableNetwork 1 (tests; onions still publish)");
  app.add_option("--tor", config.tor.tor_binary, "tor binary");
  app.add_option("--docker-socket", config.docker_socket, "Docker engine socket");
  app.add_option("--acl", acl,
                 "plane ACL policy file (policies/acl.yaml); default: the text of env BETA_ACL_POLICY (the "
                 "cluster render gives the deployed beta the config repo's file there), else same-plane with "
                 "wallet deny");
  app.add_option("--scope-label", config.scope_label,
                 "only containers/networks carrying this key=value label");
  app.add_option("--admin", config.admin_listen, "loopback admin listener for betactl and /metrics");
  app.add_option("--resolver-port", config.resolver_port, "resolver port on each plane network");
  app.add_option("--resolver-listen", config.resolver_listen, "explicit ip:port=plane resolver listeners");
  app.add_option("--metrics-plane", config.metrics_plane,
                 "plane on whose networks the metrics-only listener runs (beta's address there)");
  app.add_option("--metrics-port", config.metrics_port,
                 "port of the metrics-only listener (GET /metrics, nothing else; 0: none)");
  app.add_option("--socks-port", config.socks_port,
                 "port of the SOCKS5 front on beta's address on each plane network (TOR_SOCKS=beta:PORT): "
                 "onion names of the caller's own plane only, as policies/acl.yaml allows (0: none)");
  std::string directory, tunnels, tor_config;
  app.add_option(
      "--directory", directory,
      "onions of other clusters the SOCKS front may relay through tor (YAML: clusters: {ID: "
      "{PLANE: ADDRESS.onion}}); default: the text of env BETA_DIRECTORY (the cluster render gives "
      "the deployed beta the other clusters' BETA_ONION_<PLANE> pins there), else none");
  app.add_option(
      "--tunnels", tunnels,
      "tunnels for programs that cannot speak SOCKS (policies/tunnels.yaml: tunnels: [{at: CLUSTER, plane: "
      "PLANE, listen: PORT, to: SERVICE:PORT@CLUSTER}]); this cluster's entries listen on beta's address on "
      "their plane and lead through tor to the other cluster's onion (its pin in the directory); default: "
      "the "
      "text of env BETA_TUNNELS (the cluster render sets it from the config repo), else none");
  app.add_option("--tor-config", tor_config,
                 "lines appended to tor's torrc, one option per line (e.g. a private test network's "
                 "DirAuthority lines from scripts/tor-test-network)");
  app.add_option("--udp-ban", udp_ban_method,
                 "how the UDP ban enters a container's network namespace: container (a helper container "
                 "of --udp-ban-image sharing it, holding only NET_ADMIN), nsenter (betad as root on a "
                 "host), auto (container when betad runs in a container of this engine, else nsenter)")
      ->check(CLI::IsMember({"auto", "container", "nsenter"}));
  app.add_option("--udp-ban-image", config.udp_ban.helper_image,
                 "image of the UDP-ban helper; it must hold /usr/sbin/nft (default: beta's own image)");
  app.add_flag("--no-udp-ban", no_udp_ban,
               "do not install the nftables UDP ban and do not withdraw for it (tests; not for production)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (config.cluster_id.empty()) {
    fmt::print(stderr, "betad: BETA_CLUSTER_ID (or --cluster-id) is required\n");
    return 2;
  }
  config.planes.clear();
  for (std::size_t pos = 0; pos <= planes.size();) {
    auto comma = planes.find(',', pos);
    std::string p = planes.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!p.empty()) config.planes.push_back(p);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  config.key_dir = key_dir;
  config.tor.state_dir = state_dir;
  if (!acl.empty())
    config.acl_file = acl;
  else if (const char* text = std::getenv("BETA_ACL_POLICY"); text && *text)
    config.acl_text = text;
  if (!directory.empty())
    config.directory_file = directory;
  else if (const char* text = std::getenv("BETA_DIRECTORY"); text && *text)
    config.directory_text = text;
  if (!tunnels.empty())
    config.tunnels_file = tunnels;
  else if (const char* text = std::getenv("BETA_TUNNELS"); text && *text)
    config.tunnels_text = text;
  if (!tor_config.empty()) {
    auto text = lucid::read_text_file(tor_config);
    if (!text) {
      fmt::print(stderr, "betad: --tor-config: {}\n", text.error().message);
      return 2;
    }
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty() && line[0] != '#') config.tor.extra_lines.push_back(line);
  }
  config.udp_ban.method = no_udp_ban ? lucid::beta::UdpBanMethod::kOff
                                     : lucid::beta::parse_udp_ban_method(udp_ban_method).value();

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto daemon = lucid::beta::Betad::create(config);
  if (!daemon) {
    fmt::print(stderr, "betad: {}\n", daemon.error().message);
    return 2;
  }
  if (auto s = (*daemon)->start(); !s) {
    fmt::print(stderr, "betad: {}\n", s.error().message);
    return 2;
  }
  int sig = 0;
  sigwait(&set, &sig);
  lucid::beta::log_line("betad", fmt::format("signal {}: stopping", sig));
  (*daemon)->stop();
  return 0;
}
