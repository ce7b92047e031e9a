// One onion per plane, kept published with the ports the label watcher reports: runs tor (via
// TorSupervisor), owns the control connection, probes it and fails closed when it stops answering.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/beta/onion_key.h"
#include "lucid/beta/tor_control.h"
#include "lucid/beta/tor_supervisor.h"
#include "lucid/beta/torrc.h"

namespace lucid::beta {

// A TCP port one container offers on its plane (its com.lucid.expose), as the label watcher sees it.
struct PlaneTarget {
  std::string service;
  std::string container;  // short id
  std::uint16_t container_port = 0;
  std::string target;  // "ip:port" on the plane network
};

// A target with the onion's virtual port for it.
struct OnionPort {
  std::string service, container;
  std::uint16_t container_port = 0, virtual_port = 0;
  std::string target;
};

// A copy of one plane's state, read without any lock.
struct PlaneState {
  std::string address;  // without ".onion"
  OnionPublicKey public_key{};
  std::string client_auth_key;  // this plane's client authorization key, tor's base32 (public)
  std::string tor_service_id;
  bool published = false;
  std::vector<OnionPort> ports;            // what the plane should carry (shown by /v1/onions)
  std::vector<OnionPort> published_ports;  // what tor carries now (answered by resolution)
};

struct PublisherSnapshot {
  bool tor_up = false;
  pid_t tor_pid = 0;
  int tor_restarts = 0;
  long publish_failures = 0;
  std::map<std::string, PlaneState> planes;
};

class PlanePublisher {
 public:
  struct Options {
    TorConfig tor;
    std::chrono::milliseconds probe_interval{500};  // GETINFO probe of the control port
    // Tor v3 client authorization (onion_directory.h "clients"): plane -> the ClientAuthV3 keys of
    // the other clusters' betas for that plane; such a plane's onion is readable by them only. A
    // plane without keys is published without client authorization.
    std::map<std::string, std::vector<std::string>> authorized_clients;
    // Onions of other clusters this tor reads as a client: v3 label -> the plane whose own client
    // key it presents (ONION_CLIENT_AUTH_ADD on every new control connection).
    std::map<std::string, std::string> client_of;
  };

  PlanePublisher(std::map<std::string, OnionIdentity> identities, Options options);
  ~PlanePublisher();
  PlanePublisher(const PlanePublisher&) = delete;
  PlanePublisher& operator=(const PlanePublisher&) = delete;

  // Starts tor's supervision and the monitor thread.
  Status start() EXCLUDES(mu_);
  // Withdraws every onion (DEL_ONION while tor still runs), then stops tor. Idempotent.
  void stop() EXCLUDES(mu_);

  // The plane's targets now (the label watcher's report). Virtual ports are assigned here; the
  // monitor thread publishes the change.
  void set_targets(const std::string& plane, const std::vector<PlaneTarget>& targets) EXCLUDES(mu_);

  PublisherSnapshot snapshot() const EXCLUDES(mu_);
  struct Lookup {
    bool tor_up = false;
    PlaneState plane;
  };
  // nullopt when `plane` is not one of beta's planes.
  std::optional<Lookup> lookup(const std::string& plane) const EXCLUDES(mu_);

 private:
  struct Plane {
    PlaneState state;
    std::vector<PortMapping> mapping;  // what tor carries now (when state.published)
    bool dirty = false;                // state.ports changed or tor came up: publish again
  };
  // What one ADD_ONION needs, copied under the lock so that the I/O runs without it.
  struct PublishJob {
    std::string plane;
    const OnionIdentity* identity = nullptr;
    std::string old_service_id;
    std::vector<PortMapping> mapping;
    std::vector<OnionPort> ports;
  };

  void run() EXCLUDES(mu_);
  void on_tor_up(std::uint16_t control_port) EXCLUDES(mu_);
  void on_tor_down() EXCLUDES(mu_);
  void connect_control(std::uint16_t port, std::uint64_t generation) EXCLUDES(mu_);
  void publish_dirty(std::uint64_t generation) EXCLUDES(mu_);
  // Marks every plane withdrawn (fail-closed at once), then sends DEL_ONION and drops the connection.
  void withdraw_all(const std::string& why) EXCLUDES(mu_);
  // Marks every plane withdrawn; returns the tor service ids that were published (to DEL_ONION) and
  // whether anything was up (to log).
  std::pair<std::vector<std::string>, bool> withdraw_state_locked() REQUIRES(mu_);
  bool any_dirty_locked() const REQUIRES(mu_);
  std::uint16_t virtual_port_locked(const std::string& plane, const std::string& service, std::uint16_t port)
      REQUIRES(mu_);

  const std::map<std::string, OnionIdentity> identities_;  // immutable after construction
  const Options options_;
  const std::unique_ptr<TorSupervisor> tor_;  // its own thread; pid and restarts are atomics
  std::thread monitor_;
  std::atomic<bool> stopping_{false};

  // The control connection belongs to the monitor thread alone (and to stop() once that thread
  // has ended), so it needs no lock and no lock is ever held across control I/O: a resolve never
  // waits behind a slow GETINFO or ADD_ONION.
  std::optional<TorControl> control_;

  mutable Mutex mu_;            // guards the plane states, the virtual ports and what is known about tor
  std::condition_variable cv_;  // wakes the monitor: stop, tor up/down, a plane to publish
  std::map<std::string, Plane> planes_ GUARDED_BY(mu_);
  // plane -> (service, container port) -> virtual port: stable for betad's lifetime.
  std::map<std::string, std::map<std::pair<std::string, std::uint16_t>, std::uint16_t>> vports_
      GUARDED_BY(mu_);
  std::uint16_t control_port_ GUARDED_BY(mu_) = 0;  // 0 while tor is down
  std::uint64_t generation_ GUARDED_BY(mu_) = 0;    // bumped whenever tor comes up or goes down
  bool tor_up_ GUARDED_BY(mu_) = false;             // the control connection answers
  long publish_failures_ GUARDED_BY(mu_) = 0;
};

}  // namespace lucid::beta
