// beta's HTTP side: the resolver on each plane network (caller identified by its network and IP,
// ACL checked), the loopback admin API (health, onions, operator resolution, ACL check, metrics),
// and the metrics listener (only GET /metrics; the port beta publishes on the ops onion).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lucid/base/http_server.h"
#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/beta/acl.h"
#include "lucid/beta/label_watcher.h"
#include "lucid/beta/plane_publisher.h"
#include "lucid/beta/socks_front.h"

namespace lucid::beta {

class ResolverApi {
 public:
  // Reads plane state from `publisher` and callers from `watcher`; both outlive this object.
  ResolverApi(std::vector<std::string> planes, AclPolicy acl, const PlanePublisher& publisher,
              const LabelWatcher& watcher);
  ~ResolverApi();
  ResolverApi(const ResolverApi&) = delete;
  ResolverApi& operator=(const ResolverApi&) = delete;

  struct Listeners {
    std::string admin;                                  // loopback: betactl, operator resolution, /metrics
    std::vector<std::string> resolver;                  // one per plane network; empty: none
    std::vector<std::string> metrics;                   // only /metrics; empty: none
    std::map<std::string, std::string> resolver_plane;  // resolver listener IP -> its plane
  };
  // Its counters join /metrics; set before start(), outlives this object.
  void attach_socks(const SocksFront& socks) { socks_ = &socks; }
  // Starts the admin listener, then the resolver and metrics listeners there are.
  Status start(Listeners listeners);
  void stop();
  std::uint16_t admin_port() const { return admin_ ? admin_->port(0) : 0; }

  http::Response handle_admin(const http::Request& req) EXCLUDES(mu_);
  http::Response handle_resolver(const http::Request& req) EXCLUDES(mu_);
  http::Response handle_metrics(const http::Request& req) const EXCLUDES(mu_);

 private:
  http::Response resolve(const std::string& target, const std::string& caller,
                         const std::string& caller_plane, bool operator_call) EXCLUDES(mu_);
  void count(const std::string& plane, const char* result) EXCLUDES(mu_);
  http::Response health() const;
  http::Response onions() const;
  std::string metrics() const EXCLUDES(mu_);

  const std::vector<std::string> planes_;
  const AclPolicy acl_;
  const PlanePublisher& publisher_;
  const LabelWatcher& watcher_;
  const SocksFront* socks_ = nullptr;
  // Written by start() before the listeners run, read-only afterwards: local IP -> plane.
  std::map<std::string, std::string> listener_plane_;
  std::unique_ptr<http::Server> admin_, metrics_;
  // One server per resolver listener (plane network), each with its own connection limits, so slow
  // or many callers on one plane cannot take the connection slots of another.
  std::vector<std::unique_ptr<http::Server>> resolvers_;

  mutable Mutex mu_;  // guards the counters
  // plane -> result -> count; a plane that is not one of beta's is counted as "unknown".
  std::map<std::string, std::map<std::string, long>> resolutions_ GUARDED_BY(mu_);
  std::map<std::string, long> denials_ GUARDED_BY(mu_);  // by (configured) plane
};

}  // namespace lucid::beta
