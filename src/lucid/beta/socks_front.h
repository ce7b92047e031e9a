// beta's SOCKS5 front: what `TOR_SOCKS=beta:9050` reaches from a plane network (issue 13 item 3).
// tor's own SocksPort stays on beta's loopback; this front listens on beta's address on each plane
// network and admits only what the plane ACL allows:
//  - the destination must be named (SOCKS5 remote name resolution, ATYP 3) as a v3 onion; an
//    address literal or any other name (clearnet) is refused;
//  - the onion must be one of the caller's own plane: another plane's onion is refused (planes never
//    bridge), and so is any onion this beta does not know to be of the caller's plane;
//  - the service behind the onion's virtual port must be one the caller's service may reach
//    (policies/acl.yaml; the caller is the com.lucid.service of the container with its source IP).
// A destination of this cluster is connected directly to the target container, as tor would at the
// end of the circuit: same-site calls neither leave the host nor need the Tor network, and they come
// from beta's address, which every deny-by-default container admits (namespace_rules.h). An onion of
// another cluster is relayed through tor's own SocksPort when beta's onion directory
// (onion_directory.h) names it as one of the caller's plane, and that plane allows same-plane
// traffic; on a deny-by-default plane the remote service behind a virtual port is not known to this
// beta (no cluster publishes its table yet), so such onions are refused with that reason. Tunnels
// (tunnels.h) are served here too: a port per tunnel on beta's address on its plane, no handshake,
// the declared destination service checked against the ACL, relayed through tor.
// Replies use RFC 1928's codes: 0x02 for a refusal by policy, 0x04 for a plane that is not
// published (fail-closed), 0x05 for a virtual port no service holds or a target that refuses.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/tcp.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/beta/acl.h"
#include "lucid/beta/label_watcher.h"
#include "lucid/beta/onion_directory.h"
#include "lucid/beta/plane_publisher.h"
#include "lucid/beta/tunnels.h"

namespace lucid::beta {

// RFC 1928 reply codes the front sends.
inline constexpr std::uint8_t kSocksSucceeded = 0x00;
inline constexpr std::uint8_t kSocksGeneralFailure = 0x01;
inline constexpr std::uint8_t kSocksNotAllowed = 0x02;
inline constexpr std::uint8_t kSocksHostUnreachable = 0x04;
inline constexpr std::uint8_t kSocksConnectionRefused = 0x05;
inline constexpr std::uint8_t kSocksCommandNotSupported = 0x07;
inline constexpr std::uint8_t kSocksAddressTypeNotSupported = 0x08;

// A CONNECT request's destination as the caller sent it.
struct SocksDestination {
  std::uint8_t address_type = 0;  // 1 IPv4, 3 name, 4 IPv6
  std::string host;               // the name, or the literal address as text
  std::uint16_t port = 0;
};

// Parses a request (VER CMD RSV ATYP DST.ADDR DST.PORT) from `bytes`. nullopt while more bytes are
// needed; a reply code when the request is not a SOCKS5 CONNECT the front serves; else the
// destination and the number of bytes it took.
struct SocksRequestParse {
  std::optional<std::uint8_t> refusal;
  SocksDestination destination;
  std::size_t consumed = 0;
};
std::optional<SocksRequestParse> parse_socks_request(std::string_view bytes);

struct SocksDecision {
  std::uint8_t reply = kSocksNotAllowed;
  std::string service;   // the destination service, when the onion and port name one
  std::string target;    // "ip:port" to connect to, or with via_tor the "<label>.onion" to ask tor for
  bool via_tor = false;  // another cluster's onion: relayed through tor's SocksPort
  std::string reason;    // one line: why (logged for refusals)
};

// What the front does for `caller` (service) on `caller_plane` asking for `destination`, given this
// cluster's planes (the publisher's copy), the directory of other clusters' onions and the policy.
SocksDecision decide_socks(const SocksDestination& destination, const std::string& caller,
                           const std::string& caller_plane, const std::map<std::string, PlaneState>& planes,
                           const OnionDirectory& directory, const AclPolicy& acl);

class SocksFront {
 public:
  struct Options {
    int max_connections = 256;          // per front, open at once (relayed connections are long-lived)
    int max_connections_per_peer = 64;  // from one caller address
    std::chrono::milliseconds handshake_deadline{10000};
    std::chrono::milliseconds connect_timeout{5000};
    // Through tor (another cluster's onion): the circuit and the rendezvous take their time.
    std::chrono::milliseconds tor_connect_timeout{60000};
    // tor's own SocksPort ("ip:port"); other clusters' onions are refused when it is not one.
    std::string tor_socks;
  };
  // Reads planes from `publisher`, callers from `watcher`; both outlive this object. `tunnels` are
  // this cluster's (tunnels.h): each listens on beta's address on its plane and is relayed through
  // tor like an onion of the directory, without a SOCKS handshake.
  SocksFront(AclPolicy acl, OnionDirectory directory, std::vector<TunnelRoute> tunnels,
             const PlanePublisher& publisher, const LabelWatcher& watcher, Options options);
  ~SocksFront();
  SocksFront(const SocksFront&) = delete;
  SocksFront& operator=(const SocksFront&) = delete;

  // Listens on each "ip:port" → plane (the SOCKS front) and each "ip:port" → index into tunnels().
  Status start(const std::map<std::string, std::string>& listen_plane,
               const std::map<std::string, std::size_t>& listen_tunnel) EXCLUDES(mu_);
  const std::vector<TunnelRoute>& tunnels() const { return tunnels_; }
  // Stops accepting, cuts every relayed connection and waits for their threads.
  void stop() EXCLUDES(mu_);

  // plane -> result (relayed, relayed_tor, tunnelled, denied, failed, busy) -> count; and
  // connections open now per plane.
  struct Counters {
    std::map<std::string, std::map<std::string, long>> connections;
    std::map<std::string, long> open;
  };
  Counters counters() const EXCLUDES(mu_);

 private:
  struct Listener {
    int fd = -1;
    std::string plane;
    std::optional<std::size_t> tunnel;  // index into tunnels_; none: the SOCKS front
  };
  void accept_loop();
  void serve(int client, const std::string& peer_ip, const std::string& plane);
  void serve_tunnel(int client, const std::string& peer_ip, const TunnelRoute& route);
  // Relays an accepted connection to `upstream` until both ends close, counted as `result`.
  void relay_counted(int client, tcp::Fd upstream, const std::string& plane, const char* result)
      EXCLUDES(mu_);
  void count(const std::string& plane, const char* result) EXCLUDES(mu_);

  // Opens the connection the decision names: the target container, or tor's SocksPort asked for
  // the onion. A SOCKS reply code when it cannot.
  std::expected<tcp::Fd, std::uint8_t> open_upstream(const SocksDecision& d, std::uint16_t port) const;

  const AclPolicy acl_;
  const OnionDirectory directory_;
  const std::vector<TunnelRoute> tunnels_;
  const PlanePublisher& publisher_;
  const LabelWatcher& watcher_;
  const Options options_;
  std::vector<Listener> listeners_;  // written by start(), read-only afterwards
  int wake_pipe_[2] = {-1, -1};
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};

  mutable Mutex mu_;  // guards the connection bookkeeping and the counters
  std::condition_variable idle_;
  int active_ GUARDED_BY(mu_) = 0;
  std::map<std::string, int> active_per_peer_ GUARDED_BY(mu_);
  std::set<int> open_fds_ GUARDED_BY(mu_);  // shut down by stop()
  std::map<std::string, std::map<std::string, long>> connections_ GUARDED_BY(mu_);
  std::map<std::string, long> open_per_plane_ GUARDED_BY(mu_);
};

}  // namespace lucid::beta
