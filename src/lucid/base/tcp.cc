#include "lucid/base/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/number.h"

namespace lucid::tcp {

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Result<sockaddr_in> parse_ipv4_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (colon != std::string_view::npos) {
    const std::string host(text.substr(0, colon));
    auto port = parse_number<std::uint16_t>(text.substr(colon + 1), "port");
    if (port && ::inet_pton(AF_INET, host.c_str(), &a.sin_addr) == 1) {
      a.sin_port = htons(*port);
      return a;
    }
  }
  return fail(ErrorKind::kInvalidArgument, fmt::format("'{}' is not IPv4:PORT", text));
}

std::string ipv4_text(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return buf;
}

Result<Listener> listen(std::string_view address, int backlog) {
  auto sa = parse_ipv4_endpoint(address);
  if (!sa) return fail(ErrorKind::kInvalidArgument, "listen address " + sa.error().message);
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fail(ErrorKind::kIo, "socket: " + errno_text(errno));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa) != 0 ||
      ::listen(fd.get(), backlog) != 0)
    return fail(ErrorKind::kIo, fmt::format("cannot listen on {}: {}", address, errno_text(errno)));
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
  return Listener{std::move(fd), ntohs(bound.sin_port)};
}

std::expected<Fd, int> connect(const sockaddr_in& to, std::chrono::milliseconds timeout, bool nonblocking) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return std::unexpected(errno);
  int err = 0;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd.get(), POLLOUT, 0};
      int n;
      do {
        n = ::poll(&p, 1, static_cast<int>(timeout.count()));
      } while (n < 0 && errno == EINTR);
      err = ETIMEDOUT;
      socklen_t len = sizeof err;
      if (n == 1) ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    }
  }
  if (err != 0) return std::unexpected(err);
  if (!nonblocking) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

bool send_all(int fd, std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace lucid::tcp
