#include "lucid/accept/net_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/tcp.h"

namespace lucid::accept {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kPrefix = "lucid-accept ";

using tcp::Fd;

Result<sockaddr_in> to_sockaddr(const std::string& text) {
  if (auto ep = parse_endpoint(text); !ep) return std::unexpected(ep.error());
  return tcp::parse_ipv4_endpoint(text);
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_endpoint(const std::string& text) {
  auto a = tcp::parse_ipv4_endpoint(text);
  if (a && a->sin_port != 0) return std::pair{tcp::ipv4_text(*a), ntohs(a->sin_port)};
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

nlohmann::json tcp_connect(const std::vector<std::string>& targets, std::chrono::milliseconds timeout,
                           std::chrono::milliseconds delay) {
  std::this_thread::sleep_for(delay);
  nlohmann::json results = nlohmann::json::array();
  for (const auto& t : targets) {
    nlohmann::json r = {{"target", t}, {"connected", false}, {"error", ""}};
    auto dest = to_sockaddr(t);
    if (!dest) {
      r["error"] = dest.error().message;
      results.push_back(r);
      continue;
    }
    auto fd = tcp::connect(*dest, timeout);
    const int err = fd ? 0 : fd.error();
    r["connected"] = err == 0;
    if (err != 0) r["error"] = errno_text(err);
    results.push_back(r);
  }
  return nlohmann::json{{"results", results}};
}

}  // namespace lucid::accept
