// The Docker side of beta: plane networks, running containers and their com.lucid.* labels, kept
// current from the engine's start/die events; keeps each labelled container's namespace rules (the
// UDP ban and, on deny-by-default planes, the ACL's inbound admission: namespace_rules.h) and
// reports each plane's targets.
// Fail-closed: a labelled container whose rules are not in place is not a target (not published,
// not resolvable) and is named in counters().unbanned until a retry succeeds. When a container
// starts or stops, the admission of every container of its plane that it may call is updated.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/beta/acl.h"
#include "lucid/beta/labels.h"
#include "lucid/beta/namespace_rules.h"
#include "lucid/beta/plane_publisher.h"
#include "lucid/engine/docker_client.h"

namespace lucid::beta {

// A network carrying com.lucid.plane (one of beta's planes).
struct PlaneNetwork {
  std::string id, name, plane, gateway;
  // beta's address on it: its container's own, else (betad on the host) the gateway. Connections
  // beta makes to the plane's containers (tor forwarding an onion's port) come from here.
  std::string beta_ip;
};

class LabelWatcher {
 public:
  struct Options {
    std::vector<std::string> planes;
    std::string scope_label;  // "key=value": only containers/networks with it; empty = all
    // kHelperContainer or kNsenter, or kOff (tests: no ban, nothing withdrawn); never kAuto.
    UdpBanSettings udp_ban{UdpBanMethod::kNsenter, {}};
    // A failed ban is tried again after this long (and on the container's next start).
    std::chrono::milliseconds udp_ban_retry{10000};
    // Which planes admit connections per allowed pair, and the pairs.
    AclPolicy acl{};
    // beta's own container (id or name), whose addresses are beta_ip; empty: betad runs on the host.
    std::string self{};
  };
  // Called on the watcher's thread, without its lock, whenever a plane's targets may have changed.
  using OnTargets = std::function<void(const std::string& plane, const std::vector<PlaneTarget>& targets)>;

  LabelWatcher(const engine::DockerClient& docker, Options options, OnTargets on_targets);
  ~LabelWatcher();
  LabelWatcher(const LabelWatcher&) = delete;
  LabelWatcher& operator=(const LabelWatcher&) = delete;

  // Lists the plane networks now (start() does it again on every resync).
  Status discover_networks() EXCLUDES(mu_);
  std::vector<PlaneNetwork> networks() const EXCLUDES(mu_);

  // Starts the watcher thread: a full sync, then the engine's events, resyncing after a break.
  void start();
  void stop() EXCLUDES(mu_);

  // The com.lucid.service label of the container that has `ip` on a network of `plane`, or
  // "unknown" when there is none (or it carries no service label).
  std::string service_at(const std::string& ip, const std::string& plane) const EXCLUDES(mu_);

  struct Counters {
    bool synced = false;  // the container set follows the engine
    long label_errors = 0, udp_bans_applied = 0, udp_ban_failures = 0;
    long admission_updates = 0;  // rulesets rewritten in a namespace that had one (new admission)
    // "name (id12): why" of each labelled container whose UDP ban is not in place (withdrawn).
    std::vector<std::string> unbanned;
    // "name (id12): why" of each container whose ban is in place but whose ACL admission could not
    // be brought up to date (retried like a ban).
    std::vector<std::string> stale_admission;
  };
  Counters counters() const EXCLUDES(mu_);

 private:
  struct Container {
    std::string id, name;
    std::map<std::string, std::string> labels;
    std::optional<ServiceLabels> svc;  // when the labels parse
    std::string label_error;
    pid_t pid = 0;
    std::string started_at;                  // State.StartedAt: a restart makes a new namespace
    std::map<std::string, std::string> ips;  // network id -> IPv4
    std::string plane_ip;                    // IP on its plane's network
    // The ruleset in place in this run's namespace (nullopt: none yet, so the container is
    // withdrawn), and why the newest attempt to put the desired one in place failed.
    std::optional<std::string> rules;
    std::string rules_error;
    std::string plane() const;  // its com.lucid.plane label, even when other labels are wrong
  };
  // A ruleset to put in place in one container's namespace (applied without the lock).
  struct RulesDue {
    std::string id, name, started_at;
    pid_t pid = 0;
    std::string ruleset;
  };

  void run() EXCLUDES(mu_);
  Status full_sync() EXCLUDES(mu_);
  void on_container_event(const std::string& id) EXCLUDES(mu_);
  std::optional<Container> inspect(const std::string& id) const;  // engine I/O, no lock
  // Records the container's new state (nullopt: gone); the planes whose targets may have changed.
  std::set<std::string> record_locked(const std::string& id, std::optional<Container> c) REQUIRES(mu_);
  // The rulesets that differ from what is in place (skipping containers whose newest attempt
  // failed: a resync retries those).
  std::vector<RulesDue> rules_due_locked() const REQUIRES(mu_);
  InboundAdmission admission_locked(const Container& c) const REQUIRES(mu_);
  // Puts each ruleset in place and records the outcome; the planes whose targets changed.
  std::set<std::string> apply_rules(const std::vector<RulesDue>& due) EXCLUDES(mu_);
  void report(const std::set<std::string>& planes) EXCLUDES(mu_);  // calls on_targets_ for each
  std::vector<PlaneTarget> targets_locked(const std::string& plane) const REQUIRES(mu_);
  bool in_scope(const nlohmann::json& labels) const;
  bool ban_required() const { return options_.udp_ban.method != UdpBanMethod::kOff; }
  bool ban_retry_due() const EXCLUDES(mu_);
  void set_synced(bool synced) EXCLUDES(mu_);
  void pause(std::chrono::milliseconds limit) EXCLUDES(mu_);  // returns early on stop()

  const engine::DockerClient& docker_;
  const Options options_;
  const OnTargets on_targets_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  mutable Mutex mu_;            // guards the networks, the containers and the counters
  std::condition_variable cv_;  // wakes the back-off waits on stop
  std::map<std::string, PlaneNetwork> networks_ GUARDED_BY(mu_);  // by id
  std::map<std::string, Container> containers_ GUARDED_BY(mu_);   // running, in scope; by id
  bool synced_ GUARDED_BY(mu_) = false;
  long label_errors_ GUARDED_BY(mu_) = 0;
  long udp_bans_applied_ GUARDED_BY(mu_) = 0;
  long udp_ban_failures_ GUARDED_BY(mu_) = 0;
  long admission_updates_ GUARDED_BY(mu_) = 0;
  // When set, a ban failed and the next full sync (which re-tries it) is due then.
  std::optional<std::chrono::steady_clock::time_point> ban_retry_at_ GUARDED_BY(mu_);
};

}  // namespace lucid::beta
