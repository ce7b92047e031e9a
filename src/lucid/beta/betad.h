// The beta daemon: supervises tor, keeps one onion per plane published with the ports of the
// labeled containers of that plane, bans UDP in their namespaces, and serves resolution + admin.
// Betad only wires its parts, each owning its state and lock: PlanePublisher (tor, onions),
// LabelWatcher (Docker networks, containers, events, namespace rules), SocksFront (TOR_SOCKS on the
// plane networks) and ResolverApi (HTTP).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/http_server.h"
#include "lucid/base/result.h"
#include "lucid/beta/label_watcher.h"
#include "lucid/beta/namespace_rules.h"
#include "lucid/beta/plane_publisher.h"
#include "lucid/beta/resolver_api.h"
#include "lucid/beta/socks_front.h"
#include "lucid/beta/torrc.h"
#include "lucid/engine/docker_client.h"

namespace lucid::beta {

struct BetadConfig {
  std::string cluster_id;
  std::vector<std::string> planes{"ops", "chain", "wallet"};
  std::filesystem::path key_dir;  // <key_dir>/<cluster_id>/<plane>.onion-key
  TorConfig tor;
  std::string docker_socket = "/var/run/docker.sock";
  // The plane ACL policy (policies/acl.yaml): a file (--acl), else its text (the cluster render
  // gives the deployed beta the config repo's file in BETA_ACL_POLICY), else the built-in default.
  std::optional<std::filesystem::path> acl_file;
  std::optional<std::string> acl_text;
  std::string scope_label;                      // "key=value": only containers/networks with it
  std::string admin_listen = "127.0.0.1:9105";  // betactl, operator resolution, /metrics
  std::uint16_t resolver_port = 7000;
  // "ip:port=plane" entries; empty = beta's own address on each plane network, else its gateway.
  std::vector<std::string> resolver_listen;
  // The metrics-only listener: beta's own address on each network of `metrics_plane` (on a host:
  // its gateway) at `metrics_port`, the port its com.lucid.expose label publishes on that plane's
  // onion. Port 0 or an empty plane: no such listener.
  std::string metrics_plane = "ops";
  std::uint16_t metrics_port = 9105;
  // The SOCKS front (TOR_SOCKS=beta:9050): beta's address on each plane network (on a host: its
  // gateway) at this port. 0: none.
  std::uint16_t socks_port = 9050;
  // Onions of other clusters the SOCKS front may relay through tor (socks_front.h); none: only this
  // cluster's.
  std::optional<std::filesystem::path> directory_file;
  std::optional<std::string> directory_text;  // the same YAML, from env BETA_DIRECTORY
  // This cluster's tunnels (tunnels.h): policies/tunnels.yaml as a file (--tunnels), else its text
  // (env BETA_TUNNELS, which the cluster render sets); none: no tunnel.
  std::optional<std::filesystem::path> tunnels_file;
  std::optional<std::string> tunnels_text;
  // kAuto: a helper container of beta's own image when betad runs in a container the engine knows,
  // else nsenter. An empty helper image means beta's own.
  UdpBanSettings udp_ban;
  std::chrono::milliseconds udp_ban_retry{10000};
  std::chrono::milliseconds tor_probe_interval{500};
};

class Betad {
 public:
  // Loads every plane's key (creating missing ones) and the ACL policy; fails on a corrupt key.
  static Result<std::unique_ptr<Betad>> create(BetadConfig config);
  ~Betad();

  Status start();
  void stop();
  std::uint16_t admin_port() const { return api_ ? api_->admin_port() : 0; }

  http::Response handle_admin(const http::Request& req) { return api_->handle_admin(req); }
  http::Response handle_resolver(const http::Request& req) { return api_->handle_resolver(req); }

 private:
  explicit Betad(BetadConfig config) : config_(std::move(config)), docker_(config_.docker_socket) {}

  // Where beta listens: the admin address, and the resolver, metrics and SOCKS listeners on beta's
  // addresses on the plane networks found now.
  struct Listeners {
    ResolverApi::Listeners api;
    std::map<std::string, std::string> socks;    // "ip:port" -> plane
    std::map<std::string, std::size_t> tunnels;  // "ip:port" -> index into socks_->tunnels()
  };
  Result<Listeners> listeners() const;

  const BetadConfig config_;
  const engine::DockerClient docker_;
  // Declared in dependency order: the API reads the publisher and the watcher, the watcher reports
  // to the publisher; destroyed in reverse.
  std::unique_ptr<PlanePublisher> publisher_;
  std::unique_ptr<LabelWatcher> watcher_;
  std::unique_ptr<SocksFront> socks_;
  std::unique_ptr<ResolverApi> api_;
  std::atomic<bool> stopping_{false};
};

}  // namespace lucid::beta
