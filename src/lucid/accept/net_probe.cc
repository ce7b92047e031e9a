#include "lucid/accept/net_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "lucid/base/files.h"

namespace lucid::accept {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kPrefix = "lucid-accept ";

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<sockaddr_in> to_sockaddr(const std::string& text) {
  auto ep = parse_endpoint(text);
  if (!ep) return std::unexpected(ep.error());
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(ep->second);
  ::inet_pton(AF_INET, ep->first.c_str(), &a.sin_addr);
  return a;
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  in_addr addr{};
  unsigned port = 0;
  if (colon != std::string::npos) {
    std::string host = text.substr(0, colon);
    auto p = std::string_view(text).substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec == std::errc() && end == p.data() + p.size() && port > 0 && port < 65536 &&
        ::inet_pton(AF_INET, host.c_str(), &addr) == 1)
      return std::pair{host, static_cast<std::uint16_t>(port)};
  }
  return fail(ErrorKind::kInvalidArgument, fmt::format("'{}': expected IPv4:PORT", text));
}

Result<nlohmann::json> udp_listen(std::uint16_t port, std::chrono::milliseconds timeout) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fail(ErrorKind::kIo, "udp socket: " + errno_text(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return fail(ErrorKind::kIo, fmt::format("udp bind :{}: {}", port, errno_text(errno)));
  std::fputs("ready\n", stdout);
  std::fflush(stdout);
  nlohmann::json received = nlohmann::json::object();
  int other = 0;
  bool ended = false;
  auto deadline = Clock::now() + timeout;
  char buf[512];
  while (!ended) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0) continue;
    std::string_view msg(buf, static_cast<std::size_t>(n));
    if (!msg.starts_with(kPrefix)) {
      ++other;
      continue;
    }
    msg.remove_prefix(kPrefix.size());
    if (msg == "end") {
      ended = true;
      continue;
    }
    std::string tag(msg.substr(0, msg.find(' ')));
    received[tag] = received.value(tag, 0) + 1;
  }
  return nlohmann::json{{"received", received}, {"other", other}, {"ended", ended}};
}

Result<nlohmann::json> udp_send(const std::string& to, int count, const std::string& tag,
                                std::chrono::milliseconds delay, bool end) {
  auto dest = to_sockaddr(to);
  if (!dest) return std::unexpected(dest.error());
  std::this_thread::sleep_for(delay);
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fail(ErrorKind::kIo, "udp socket: " + errno_text(errno));
  int sent = 0, errors = 0;
  std::string first_error;
  auto send = [&](const std::string& msg) {
    if (::sendto(fd.get(), msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&*dest),
                 sizeof *dest) == static_cast<ssize_t>(msg.size()))
      return true;
    if (first_error.empty()) first_error = errno_text(errno);
    ++errors;
    return false;
  };
  for (int i = 0; i < count; ++i) {
    if (send(fmt::format("{}{} {}", kPrefix, tag, i))) ++sent;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (int i = 0; i < 3; ++i) (void)send(std::string(kPrefix) + "end");
  }
  return nlohmann::json{{"sent", sent}, {"errors", errors}, {"first_error", first_error}};
}

nlohmann::json tcp_connect(const std::vector<std::string>& targets, std::chrono::milliseconds timeout) {
  nlohmann::json results = nlohmann::json::array();
  for (const auto& t : targets) {
    nlohmann::json r = {{"target", t}, {"connected", false}, {"error", ""}};
    auto dest = to_sockaddr(t);
    if (!dest) {
      r["error"] = dest.error().message;
      results.push_back(r);
      continue;
    }
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*dest), sizeof *dest);
    int err = rc == 0 ? 0 : errno;
    if (rc != 0 && err == EINPROGRESS) {
      pollfd p{fd.get(), POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (n == 0) {
        err = ETIMEDOUT;
      } else {
        socklen_t len = sizeof err;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    r["connected"] = err == 0;
    if (err != 0) r["error"] = errno_text(err);
    results.push_back(r);
  }
  return nlohmann::json{{"results", results}};
}

}  // namespace lucid::accept
