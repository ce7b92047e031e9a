#include "lucid/beta/socks_front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/base/files.h"
#include "lucid/base/tcp.h"
#include "lucid/base/text.h"
#include "lucid/beta/log.h"

namespace lucid::beta {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint8_t kVersion = 5;
constexpr std::uint8_t kConnect = 1;
constexpr std::uint8_t kNoAuthentication = 0x00;
constexpr std::uint8_t kNoAcceptableMethod = 0xff;

// A v3 onion's label: 56 characters of base32 (RFC 4648 lower case).
bool v3_onion_label(std::string_view label) {
  return label.size() == 56 && std::all_of(label.begin(), label.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
         });
}

std::string reply_bytes(std::uint8_t code) {
  // VER REP RSV ATYP(IPv4) BND.ADDR 0.0.0.0 BND.PORT 0: the front reveals no address of its own.
  return std::string{static_cast<char>(kVersion), static_cast<char>(code), 0, 1, 0, 0, 0, 0, 0, 0};
}

// Reads until `want` bytes are in `buf` or the deadline passes; false on EOF, error or time out.
bool read_until(int fd, std::string& buf, std::size_t want, Clock::time_point deadline) {
  char chunk[512];
  while (buf.size() < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::recv(fd, chunk, std::min(sizeof chunk, want - buf.size()), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

// Copies bytes both ways until both directions have ended (a half-close is passed on) or `stop`.
void relay(int a, int b, const std::atomic<bool>& stop) {
  bool a_open = true, b_open = true;     // each side still sends
  std::vector<char> buffer(256 * 1024);  // large reads: a bulk stream costs few system calls
  char* buf = buffer.data();
  while ((a_open || b_open) && !stop) {
    pollfd p[2] = {{a, static_cast<short>(a_open ? POLLIN : 0), 0},
                   {b, static_cast<short>(b_open ? POLLIN : 0), 0}};
    const int ready = ::poll(p, 2, 1000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return;
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int from = i == 0 ? a : b, to = i == 0 ? b : a;
      const ssize_t n = ::recv(from, buf, buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0 && tcp::send_all(to, {buf, static_cast<std::size_t>(n)})) continue;
      if (n < 0 || n > 0) return;  // an error, or the other side stopped taking data
      ::shutdown(to, SHUT_WR);     // EOF: pass the half-close on
      (i == 0 ? a_open : b_open) = false;
    }
  }
}

}  // namespace

std::optional<SocksRequestParse> parse_socks_request(std::string_view bytes) {
  if (bytes.size() < 5) return std::nullopt;
  SocksRequestParse out;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  if (byte(0) != kVersion) {
    out.refusal = kSocksGeneralFailure;
    return out;
  }
  out.destination.address_type = byte(3);
  std::size_t address_bytes = 0, address_at = 4;
  switch (byte(3)) {
    case 1:
      address_bytes = 4;
      break;
    case 4:
      address_bytes = 16;
      break;
    case 3:
      address_bytes = byte(4);
      address_at = 5;
      break;
    default:
      out.refusal = kSocksAddressTypeNotSupported;
      return out;
  }
  const std::size_t total = address_at + address_bytes + 2;
  if (bytes.size() < total) return std::nullopt;
  out.consumed = total;
  if (byte(1) != kConnect) {  // BIND and UDP ASSOCIATE: nothing but CONNECT is relayed
    out.refusal = kSocksCommandNotSupported;
    return out;
  }
  const std::string_view address = bytes.substr(address_at, address_bytes);
  if (byte(3) == 3) {
    out.destination.host = std::string(address);
  } else {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(byte(3) == 1 ? AF_INET : AF_INET6, address.data(), text, sizeof text);
    out.destination.host = text;
  }
  out.destination.port = static_cast<std::uint16_t>(byte(total - 2) << 8 | byte(total - 1));
  return out;
}

SocksDecision decide_socks(const SocksDestination& destination, const std::string& caller,
                           const std::string& caller_plane, const std::map<std::string, PlaneState>& planes,
                           const OnionDirectory& directory, const AclPolicy& acl) {
  SocksDecision d;
  const std::string who = fmt::format("{}@{}", caller, caller_plane);
  if (destination.address_type != 3) {
    d.reason = fmt::format(
        "{} asked for the address {}: only onion names are relayed (send the name, "
        "SOCKS5 remote resolution)",
        who, destination.host);
    return d;
  }
  const std::string host = lower(destination.host);
  if (!host.ends_with(".onion")) {
    d.reason = fmt::format("{} asked for {}: no clearnet destination is relayed", who, host.substr(0, 80));
    return d;
  }
  // "<label>.onion" or "<anything>.<label>.onion": the service is the label before ".onion".
  std::string_view name(host);
  name.remove_suffix(6);
  const std::string label(name.substr(name.rfind('.') == std::string_view::npos ? 0 : name.rfind('.') + 1));
  if (!v3_onion_label(label)) {
    d.reason = fmt::format("{} asked for {}: not a v3 onion name", who, host.substr(0, 80));
    return d;
  }
  for (const auto& [plane, state] : planes) {
    if (state.address != label) continue;
    if (plane != caller_plane) {
      d.reason = fmt::format("{} asked for the onion of plane {}: planes never bridge", who, plane);
      return d;
    }
    if (!state.published) {
      d.reply = kSocksHostUnreachable;
      d.reason =
          fmt::format("{} asked for plane {}'s onion, which is not published (fail-closed)", who, plane);
      return d;
    }
    for (const auto& port : state.published_ports) {
      if (port.virtual_port != destination.port) continue;
      d.service = port.service;
      if (auto allowed = acl.check(caller, caller_plane, port.service, plane); !allowed.allowed) {
        d.reason = fmt::format("{} -> {}@{}: {}", who, port.service, plane, allowed.reason);
        return d;
      }
      d.reply = kSocksSucceeded;
      d.target = port.target;
      d.reason = fmt::format("{} -> {}@{} ({})", who, port.service, plane, port.target);
      return d;
    }
    d.reply = kSocksConnectionRefused;
    d.reason = fmt::format("{} asked for port {} of plane {}'s onion: no service is published there", who,
                           destination.port, plane);
    return d;
  }
  const auto remote = directory.find(label);
  if (remote == directory.end()) {
    d.reason = fmt::format("{} asked for {}: neither an onion of this cluster nor one beta's directory names",
                           who, host.substr(0, 80));
    return d;
  }
  const RemoteOnion& r = remote->second;
  if (r.plane != caller_plane) {
    d.reason =
        fmt::format("{} asked for the {} onion of cluster {}: planes never bridge", who, r.plane, r.cluster);
    return d;
  }
  if (!acl.open_within(r.plane)) {
    d.reason = fmt::format(
        "{} asked for cluster {}'s {} onion: the plane is deny-by-default and the service "
        "behind port {} there is not known to this beta",
        who, r.cluster, r.plane, destination.port);
    return d;
  }
  d.reply = kSocksSucceeded;
  d.via_tor = true;
  d.target = label + ".onion";
  d.reason = fmt::format("{} -> cluster {}'s {} onion, port {} (through tor)", who, r.cluster, r.plane,
                         destination.port);
  return d;
}

SocksFront::SocksFront(AclPolicy acl, OnionDirectory directory, std::vector<TunnelRoute> tunnels,
                       const PlanePublisher& publisher, const LabelWatcher& watcher, Options options)
    : acl_(std::move(acl)),
      directory_(std::move(directory)),
      tunnels_(std::move(tunnels)),
      publisher_(publisher),
      watcher_(watcher),
      options_(std::move(options)) {}

SocksFront::~SocksFront() {
  stop();
  for (auto& l : listeners_) ::close(l.fd);
  for (int fd : wake_pipe_)
    if (fd >= 0) ::close(fd);
}

Status SocksFront::start(const std::map<std::string, std::string>& listen_plane,
                         const std::map<std::string, std::size_t>& listen_tunnel) {
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) return fail(ErrorKind::kIo, "pipe: " + errno_text(errno));
  for (const auto& [address, plane] : listen_plane) {
    auto l = tcp::listen(address);
    if (!l) return fail(l.error().kind, "SOCKS front: " + l.error().message);
    listeners_.push_back({l->fd.release(), plane, std::nullopt});
  }
  if (!listen_plane.empty()) {
    std::vector<std::string> where;
    for (const auto& [address, plane] : listen_plane) where.push_back(address + " (" + plane + ")");
    log_line("socks", fmt::format("listening on {}", fmt::join(where, ", ")));
  }
  for (const auto& [address, index] : listen_tunnel) {
    const Tunnel& t = tunnels_.at(index).tunnel;
    auto l = tcp::listen(address);
    if (!l) return fail(l.error().kind, fmt::format("tunnel on {}: {}", t.plane, l.error().message));
    listeners_.push_back({l->fd.release(), t.plane, index});
    log_line("tunnel", fmt::format("{} ({}) -> {}:{}@{}, {}.onion port {}", address, t.plane, t.service,
                                   t.port, t.cluster, tunnels_[index].onion, tunnels_[index].virtual_port));
  }
  acceptor_ = std::thread([this] { accept_loop(); });
  return {};
}

void SocksFront::stop() {
  if (stopping_.exchange(true)) return;
  if (wake_pipe_[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto n = ::write(wake_pipe_[1], &c, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  MutexLock lock(mu_);
  for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  while (active_ > 0) lock.wait_for(idle_, std::chrono::milliseconds(200));
}

void SocksFront::count(const std::string& plane, const char* result) {
  MutexLock lock(mu_);
  connections_[plane][result]++;
}

SocksFront::Counters SocksFront::counters() const {
  MutexLock lock(mu_);
  return {connections_, open_per_plane_};
}

void SocksFront::accept_loop() {
  std::vector<pollfd> fds;
  for (const auto& l : listeners_) fds.push_back({l.fd, POLLIN, 0});
  fds.push_back({wake_pipe_[0], POLLIN, 0});
  while (!stopping_) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds.back().revents) return;
    for (std::size_t i = 0; i + 1 < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      sockaddr_in peer{};
      socklen_t peer_len = sizeof peer;
      const int c = ::accept4(fds[i].fd, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
      if (c < 0) continue;
      const std::string peer_ip = tcp::ipv4_text(peer);
      const Listener& listener = listeners_[i];
      const std::string& plane = listener.plane;
      {
        MutexLock lock(mu_);
        const int from_peer = active_per_peer_.contains(peer_ip) ? active_per_peer_[peer_ip] : 0;
        if (active_ >= options_.max_connections || from_peer >= options_.max_connections_per_peer) {
          lock.unlock();
          if (!listener.tunnel)  // a SOCKS client gets a reply it can print; a tunnel's caller a close
            (void)tcp::send_all(
                c, std::string{static_cast<char>(kVersion), static_cast<char>(kNoAcceptableMethod)});
          ::close(c);
          count(plane, "busy");
          continue;
        }
        ++active_;
        ++active_per_peer_[peer_ip];
        open_fds_.insert(c);
      }
      std::thread([this, c, peer_ip, plane, tunnel = listener.tunnel] {
        if (tunnel)
          serve_tunnel(c, peer_ip, tunnels_[*tunnel]);
        else
          serve(c, peer_ip, plane);
        MutexLock lock(mu_);
        open_fds_.erase(c);
        ::close(c);
        --active_;
        if (--active_per_peer_[peer_ip] <= 0) active_per_peer_.erase(peer_ip);
        idle_.notify_all();
      }).detach();
    }
  }
}

std::expected<tcp::Fd, std::uint8_t> SocksFront::open_upstream(const SocksDecision& d,
                                                               std::uint16_t port) const {
  if (!d.via_tor) {
    auto to = tcp::parse_ipv4_endpoint(d.target);
    if (!to) return std::unexpected(kSocksGeneralFailure);
    auto fd = tcp::connect(*to, options_.connect_timeout);
    if (!fd)
      return std::unexpected(fd.error() == ECONNREFUSED ? kSocksConnectionRefused : kSocksHostUnreachable);
    return std::move(*fd);
  }
  // Another cluster's onion: the same CONNECT, by name, to tor's own SocksPort; tor's reply code
  // is passed on.
  auto tor = tcp::parse_ipv4_endpoint(options_.tor_socks);
  if (!tor) return std::unexpected(kSocksGeneralFailure);
  auto fd = tcp::connect(*tor, options_.connect_timeout);
  if (!fd) return std::unexpected(kSocksGeneralFailure);
  const auto deadline = Clock::now() + options_.tor_connect_timeout;
  std::string buf;
  if (!tcp::send_all(fd->get(),
                     std::string{static_cast<char>(kVersion), 1, static_cast<char>(kNoAuthentication)}) ||
      !read_until(fd->get(), buf, 2, deadline) || buf[1] != static_cast<char>(kNoAuthentication))
    return std::unexpected(kSocksGeneralFailure);
  std::string request{static_cast<char>(kVersion), static_cast<char>(kConnect), 0, 3,
                      static_cast<char>(d.target.size())};
  request += d.target;
  request += static_cast<char>(port >> 8);
  request += static_cast<char>(port & 0xff);
  buf.clear();
  if (!tcp::send_all(fd->get(), request) || !read_until(fd->get(), buf, 4, deadline))
    return std::unexpected(kSocksHostUnreachable);
  const auto reply = static_cast<std::uint8_t>(buf[1]);
  if (reply != kSocksSucceeded) return std::unexpected(reply);
  // tor answers with an address: IPv4 (10 bytes in all) or IPv6 (22).
  const std::size_t total = buf[3] == 1 ? 10 : buf[3] == 4 ? 22 : 0;
  if (total == 0 || !read_until(fd->get(), buf, total, deadline))
    return std::unexpected(kSocksGeneralFailure);
  return std::move(*fd);
}

void SocksFront::serve(int client, const std::string& peer_ip, const std::string& plane) {
  const auto deadline = Clock::now() + options_.handshake_deadline;
  // Greeting: VER NMETHODS METHODS...; only "no authentication" is offered (the caller is known by
  // its address on the plane network).
  std::string buf;
  if (!read_until(client, buf, 2, deadline) || static_cast<std::uint8_t>(buf[0]) != kVersion) return;
  if (!read_until(client, buf, 2 + static_cast<std::uint8_t>(buf[1]), deadline)) return;
  if (buf.find(static_cast<char>(kNoAuthentication), 2) == std::string::npos) {
    (void)tcp::send_all(client,
                        std::string{static_cast<char>(kVersion), static_cast<char>(kNoAcceptableMethod)});
    return;
  }
  if (!tcp::send_all(client, std::string{static_cast<char>(kVersion), static_cast<char>(kNoAuthentication)}))
    return;
  // The request, read to its exact length (a client may send data right behind it, which is the
  // relayed stream's): 5 bytes tell the address type and, for a name, its length.
  buf.clear();
  if (!read_until(client, buf, 5, deadline)) return;
  const auto type = static_cast<std::uint8_t>(buf[3]);
  const std::size_t total = type == 1   ? 4 + 4 + 2
                            : type == 4 ? 4 + 16 + 2
                            : type == 3 ? 5 + static_cast<std::uint8_t>(buf[4]) + 2
                                        : 5;  // an unknown type: parse_socks_request refuses it
  if (!read_until(client, buf, total, deadline)) return;
  const auto request = parse_socks_request(buf);
  if (!request) return;  // not reached: the whole request is in buf
  if (request->refusal) {
    (void)tcp::send_all(client, reply_bytes(*request->refusal));
    count(plane, "denied");
    return;
  }
  const std::string caller = watcher_.service_at(peer_ip, plane);
  const PublisherSnapshot tor = publisher_.snapshot();
  const SocksDecision d = decide_socks(request->destination, caller, plane, tor.planes, directory_, acl_);
  if (d.reply != kSocksSucceeded) {
    (void)tcp::send_all(client, reply_bytes(d.reply));
    count(plane, d.reply == kSocksNotAllowed ? "denied" : "failed");
    log_line("socks",
             fmt::format("{} {}: {}", d.reply == kSocksNotAllowed ? "denied" : "failed", peer_ip, d.reason));
    return;
  }
  auto upstream = open_upstream(d, request->destination.port);
  if (!upstream) {
    (void)tcp::send_all(client, reply_bytes(upstream.error()));
    count(plane, "failed");
    log_line("socks", fmt::format("failed {}: {}: SOCKS reply {}", peer_ip, d.reason, upstream.error()));
    return;
  }
  if (!tcp::send_all(client, reply_bytes(kSocksSucceeded))) return;
  relay_counted(client, std::move(*upstream), plane, d.via_tor ? "relayed_tor" : "relayed");
}

void SocksFront::serve_tunnel(int client, const std::string& peer_ip, const TunnelRoute& route) {
  const Tunnel& t = route.tunnel;
  const std::string caller = watcher_.service_at(peer_ip, t.plane);
  const std::string what = fmt::format("{}@{} -> {}@{} of cluster {} (tunnel on port {})", caller, t.plane,
                                       t.service, t.plane, t.cluster, t.listen);
  if (auto allowed = acl_.check(caller, t.plane, t.service, t.plane); !allowed.allowed) {
    count(t.plane, "denied");
    log_line("tunnel", fmt::format("denied {}: {}: {}", peer_ip, what, allowed.reason));
    return;
  }
  SocksDecision d;
  d.via_tor = true;
  d.target = route.onion + ".onion";
  auto upstream = open_upstream(d, route.virtual_port);
  if (!upstream) {
    count(t.plane, "failed");
    log_line("tunnel", fmt::format("failed {}: {}: tor's SOCKS reply {}", peer_ip, what, upstream.error()));
    return;
  }
  relay_counted(client, std::move(*upstream), t.plane, "tunnelled");
}

void SocksFront::relay_counted(int client, tcp::Fd upstream, const std::string& plane, const char* result) {
  count(plane, result);
  {
    MutexLock lock(mu_);
    open_per_plane_[plane]++;
    open_fds_.insert(upstream.get());
  }
  relay(client, upstream.get(), stopping_);
  MutexLock lock(mu_);
  open_per_plane_[plane]--;
  open_fds_.erase(upstream.get());
}

}  // namespace lucid::beta
