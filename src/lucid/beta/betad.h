// The beta daemon: supervises tor, keeps one onion per plane published with the ports of the
// labeled containers of that plane, bans UDP in their namespaces, and serves resolution + admin.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/http_server.h"
#include "lucid/base/result.h"
#include "lucid/beta/acl.h"
#include "lucid/beta/labels.h"
#include "lucid/beta/onion_key.h"
#include "lucid/beta/tor_control.h"
#include "lucid/beta/tor_supervisor.h"
#include "lucid/engine/docker_client.h"

namespace lucid::beta {

struct BetadConfig {
  std::string cluster_id;
  std::vector<std::string> planes{"ops", "chain", "wallet"};
  std::filesystem::path key_dir;  // <key_dir>/<cluster_id>/<plane>.onion-key
  TorConfig tor;
  std::string docker_socket = "/var/run/docker.sock";
  std::optional<std::filesystem::path> acl_file;
  std::string scope_label;                      // "key=value": only containers/networks with it
  std::string admin_listen = "127.0.0.1:9105";  // betactl, /metrics
  std::uint16_t resolver_port = 7000;
  // "ip:port=plane" entries; empty = beta's own address on each plane network, else its gateway.
  std::vector<std::string> resolver_listen;
  bool udp_ban = true;
  std::chrono::milliseconds tor_probe_interval{500};
};

class Betad {
 public:
  // Loads every plane's key (creating missing ones) and the ACL policy; fails on a corrupt key.
  static Result<std::unique_ptr<Betad>> create(BetadConfig config);
  ~Betad();

  Status start();
  void stop();
  std::uint16_t admin_port() const { return admin_ ? admin_->port(0) : 0; }

  http::Response handle_admin(const http::Request& req);
  http::Response handle_resolver(const http::Request& req);

 private:
  struct Container {
    std::string id, name;
    std::map<std::string, std::string> labels;
    std::optional<ServiceLabels> svc;  // when the labels parse
    std::string label_error;
    pid_t pid = 0;
    std::map<std::string, std::string> ips;  // network id -> IPv4
    std::string plane_ip;                    // IP on its plane's network
    bool udp_banned = false;
  };
  struct Plane {
    OnionIdentity identity;
    std::string address;
    std::string tor_service_id;
    bool published = false;
    std::vector<PortMapping> mapping;
    struct Port {
      std::string service, container;
      std::uint16_t container_port, virtual_port;
      std::string target;
    };
    std::vector<Port> ports;
  };
  struct Network {
    std::string id, name, plane, gateway;
  };

  explicit Betad(BetadConfig config) : config_(std::move(config)), docker_(config_.docker_socket) {}

  void watcher_loop();
  void monitor_loop();
  Status discover_networks();
  Status full_sync();
  void on_container_event(const std::string& id);
  std::optional<Container> inspect(const std::string& id);
  void publish_plane_locked(const std::string& plane);
  void withdraw_all_locked(const std::string& why);
  std::uint16_t virtual_port_locked(const std::string& plane, const std::string& service, std::uint16_t port);
  nlohmann::json health_locked(bool& ok);
  nlohmann::json onions_locked();
  std::string metrics_locked();
  http::Response resolve(const std::string& target, const std::string& caller,
                         const std::string& caller_plane, bool operator_call);
  std::optional<std::pair<std::string, std::string>> identify_caller(const std::string& local_ip,
                                                                     const std::string& peer_ip);
  bool in_scope(const nlohmann::json& labels) const;

  BetadConfig config_;
  engine::DockerClient docker_;
  AclPolicy acl_;
  std::unique_ptr<TorSupervisor> tor_;
  std::unique_ptr<http::Server> admin_, resolver_;
  std::thread watcher_, monitor_;
  std::atomic<bool> stopping_{false};

  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::map<std::string, Plane> planes_;
  std::map<std::string, Container> containers_;
  std::map<std::string, Network> networks_;            // by id
  std::map<std::string, std::string> listener_plane_;  // local ip -> plane
  std::map<std::string, std::map<std::pair<std::string, std::uint16_t>, std::uint16_t>> vports_;
  std::optional<TorControl> control_;
  std::uint16_t control_port_ = 0;
  bool tor_up_ = false;
  bool docker_synced_ = false;
  std::map<std::string, std::map<std::string, long>> resolutions_;  // plane -> result -> count
  std::map<std::string, long> denials_;
  long label_errors_ = 0, udp_ban_failures_ = 0, udp_bans_applied_ = 0, publish_failures_ = 0;
};

}  // namespace lucid::beta
