// Small IPv4 TCP helpers shared by the HTTP server, beta (its SOCKS front and tor's control port)
// and the acceptance probes: an owning descriptor, "ip:port" parsing, listening, connecting within
// a time limit, and sending a whole buffer.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "lucid/base/result.h"

namespace lucid::tcp {

// Owns a file descriptor; closes it when destroyed.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// "a.b.c.d:port" (dotted IPv4, port 0-65535); kInvalidArgument naming the text otherwise.
Result<sockaddr_in> parse_ipv4_endpoint(std::string_view text);
// The address of `a` as dotted text (no port).
std::string ipv4_text(const sockaddr_in& a);

// A listening socket on "ip:port" (port 0 picks a free one; SO_REUSEADDR), and the port it got.
struct Listener {
  Fd fd;
  std::uint16_t port = 0;
};
Result<Listener> listen(std::string_view address, int backlog = 128);

// Connects to `to` within `timeout`, returning a blocking socket (non-blocking with `nonblocking`);
// the error is the errno (ETIMEDOUT when the time ran out), so a caller can tell a refusal from an
// unreachable host.
std::expected<Fd, int> connect(const sockaddr_in& to, std::chrono::milliseconds timeout,
                               bool nonblocking = false);

// Sends all of `data` (no SIGPIPE); false once the peer is gone or a send fails or times out.
bool send_all(int fd, std::string_view data);

}  // namespace lucid::tcp
