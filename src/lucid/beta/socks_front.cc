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
                           const AclPolicy& acl) {
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
  d.reason = fmt::format(
      "{} asked for {}: not an onion of this cluster; onions of other clusters are "
      "relayed once beta has a directory of their planes (not yet)",
      who, host.substr(0, 80));
  return d;
}

SocksFront::SocksFront(AclPolicy acl, const PlanePublisher& publisher, const LabelWatcher& watcher,
                       Options options)
    : acl_(std::move(acl)), publisher_(publisher), watcher_(watcher), options_(options) {}

SocksFront::~SocksFront() {
  stop();
  for (auto& l : listeners_) ::close(l.fd);
  for (int fd : wake_pipe_)
    if (fd >= 0) ::close(fd);
}

Status SocksFront::start(const std::map<std::string, std::string>& listen_plane) {
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) return fail(ErrorKind::kIo, "pipe: " + errno_text(errno));
  for (const auto& [address, plane] : listen_plane) {
    auto l = tcp::listen(address);
    if (!l) return fail(l.error().kind, "SOCKS front: " + l.error().message);
    listeners_.push_back({l->fd.release(), plane});
  }
  if (!listen_plane.empty()) {
    std::vector<std::string> where;
    for (const auto& [address, plane] : listen_plane) where.push_back(address + " (" + plane + ")");
    log_line("socks", fmt::format("listening on {}", fmt::join(where, ", ")));
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
      const std::string& plane = listeners_[i].plane;
      {
        MutexLock lock(mu_);
        const int from_peer = active_per_peer_.contains(peer_ip) ? active_per_peer_[peer_ip] : 0;
        if (active_ >= options_.max_connections || from_peer >= options_.max_connections_per_peer) {
          lock.unlock();
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
      std::thread([this, c, peer_ip, plane] {
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
  const SocksDecision d = decide_socks(request->destination, caller, plane, tor.planes, acl_);
  if (d.reply != kSocksSucceeded) {
    (void)tcp::send_all(client, reply_bytes(d.reply));
    count(plane, d.reply == kSocksNotAllowed ? "denied" : "failed");
    log_line("socks",
             fmt::format("{} {}: {}", d.reply == kSocksNotAllowed ? "denied" : "failed", peer_ip, d.reason));
    return;
  }
  auto to = tcp::parse_ipv4_endpoint(d.target);
  std::expected<tcp::Fd, int> upstream = std::unexpected(EINVAL);
  if (to) upstream = tcp::connect(*to, options_.connect_timeout);
  if (!upstream) {
    (void)tcp::send_all(client, reply_bytes(upstream.error() == ECONNREFUSED ? kSocksConnectionRefused
                                                                             : kSocksHostUnreachable));
    count(plane, "failed");
    log_line("socks", fmt::format("failed {}: {}: {}", peer_ip, d.reason, errno_text(upstream.error())));
    return;
  }
  if (!tcp::send_all(client, reply_bytes(kSocksSucceeded))) return;
  count(plane, "relayed");
  {
    MutexLock lock(mu_);
    open_per_plane_[plane]++;
    open_fds_.insert(upstream->get());
  }
  relay(client, upstream->get(), stopping_);
  MutexLock lock(mu_);
  open_per_plane_[plane]--;
  open_fds_.erase(upstream->get());
}

}  // namespace lucid::beta
