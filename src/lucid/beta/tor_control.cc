#include "lucid/beta/tor_control.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/secret_bytes.h"
#include "lucid/base/tcp.h"

namespace lucid::beta {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool safe_arg(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c <= ' ' || c == '"' || c > '~') return false;
  return true;
}

}  // namespace

Result<TorControl> TorControl::connect(std::uint16_t port, std::chrono::milliseconds timeout) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto fd = tcp::connect(sa, timeout, /*nonblocking=*/true);
  if (!fd)
    return fail(ErrorKind::kIo, fmt::format("tor control port 127.0.0.1:{}: {}", port,
                                            fd.error() == ETIMEDOUT ? std::string("connect timed out")
                                                                    : errno_text(fd.error())));
  return TorControl(fd->release(), timeout);
}

TorControl::TorControl(TorControl&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), timeout_(other.timeout_), parser_(std::move(other.parser_)) {}

TorControl& TorControl::operator=(TorControl&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    timeout_ = other.timeout_;
    parser_ = std::move(other.parser_);
  }
  return *this;
}

TorControl::~TorControl() {
  if (fd_ >= 0) ::close(fd_);
}

Status TorControl::send_raw(std::span<const std::uint8_t> bytes) {
  auto deadline = Clock::now() + timeout_;
  std::size_t off = 0;
  while (off < bytes.size()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1)
      return fail(ErrorKind::kIo, "tor control port: write timed out");
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return fail(ErrorKind::kIo, "tor control port: connection lost while writing");
    off += static_cast<std::size_t>(n);
  }
  return {};
}

Result<ControlReply> TorControl::read_reply() {
  auto deadline = Clock::now() + timeout_;
  while (true) {
    while (auto r = parser_.next()) {
      if (r->is_async()) continue;
      return *r;
    }
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc == 0) return fail(ErrorKind::kIo, "tor control port: no reply within timeout");
    if (rc < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorKind::kIo, "tor control port: poll: " + errno_text(errno));
    }
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return fail(ErrorKind::kIo, "tor control port: connection closed");
    if (auto s = parser_.feed({buf, static_cast<std::size_t>(n)}); !s) {
      ::close(fd_);  // the stream cannot be resynchronised: drop the connection
      fd_ = -1;
      return std::unexpected(with_context("tor control port answered garbage", s.error()));
    }
  }
}

Result<ControlReply> TorControl::command(std::string_view line) {
  if (fd_ < 0) return fail(ErrorKind::kIo, "tor control port: not connected");
  std::string bytes(line);
  bytes += "\r\n";
  if (auto s = send_raw({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}); !s)
    return std::unexpected(s.error());
  return read_reply();
}

Status TorControl::authenticate_cookie(const std::filesystem::path& cookie_file) {
  auto cookie = read_file(cookie_file);
  if (!cookie) return std::unexpected(with_context("tor cookie", cookie.error()));
  if (cookie->size() != 32)
    return fail(ErrorKind::kCorrupt, cookie_file.string() + ": tor cookie must be 32 bytes");
  auto reply = command("AUTHENTICATE " + to_hex(*cookie));
  secure_zero(cookie->data(), cookie->size());
  if (!reply) return std::unexpected(reply.error());
  if (!reply->ok()) return fail(ErrorKind::kAuthentication, "tor refused AUTHENTICATE: " + reply->message());
  return {};
}

Result<std::string> TorControl::add_onion(const OnionIdentity& identity,
                                          const std::vector<PortMapping>& ports, bool detach,
                                          const std::vector<std::string>& authorized_clients) {
  if (ports.empty()) return fail(ErrorKind::kInvalidArgument, "ADD_ONION needs at least one port");
  if (fd_ < 0) return fail(ErrorKind::kIo, "tor control port: not connected");
  std::vector<std::string> flags;
  if (detach) flags.emplace_back("Detach");
  if (!authorized_clients.empty()) flags.emplace_back("V3Auth");
  std::string rest = flags.empty() ? "" : fmt::format(" Flags={}", fmt::join(flags, ","));
  for (const auto& p : ports) {
    if (p.virtual_port == 0 || !safe_arg(p.target))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("bad onion port mapping {} -> '{}'", p.virtual_port, p.target));
    rest += fmt::format(" Port={},{}", p.virtual_port, p.target);
  }
  for (const auto& client : authorized_clients) {
    if (!safe_arg(client)) return fail(ErrorKind::kInvalidArgument, "bad ClientAuthV3 key");
    rest += " ClientAuthV3=" + client;
  }
  rest += "\r\n";
  static constexpr std::string_view kCmd = "ADD_ONION ";
  auto spec = identity.tor_key_spec();
  SecretBytes line(kCmd.size() + spec.size() + rest.size());
  std::memcpy(line.data(), kCmd.data(), kCmd.size());
  std::memcpy(line.data() + kCmd.size(), spec.data(), spec.size());
  std::memcpy(line.data() + kCmd.size() + spec.size(), rest.data(), rest.size());
  if (auto s = send_raw(line); !s) return std::unexpected(s.error());
  auto reply = read_reply();
  if (!reply) return std::unexpected(reply.error());
  if (!reply->ok()) return fail(ErrorKind::kInvalidArgument, "tor refused ADD_ONION: " + reply->message());
  auto id = reply->value("ServiceID");
  if (!id) return fail(ErrorKind::kCorrupt, "tor's ADD_ONION reply has no ServiceID");
  return *id;
}

Status TorControl::onion_client_auth_add(std::string_view label, const OnionIdentity& as_client) {
  if (!safe_arg(label)) return fail(ErrorKind::kInvalidArgument, "bad onion address");
  if (fd_ < 0) return fail(ErrorKind::kIo, "tor control port: not connected");
  const std::string head = fmt::format("ONION_CLIENT_AUTH_ADD {} ", label);
  auto spec = as_client.tor_client_auth_spec();
  SecretBytes line(head.size() + spec.size() + 2);
  std::memcpy(line.data(), head.data(), head.size());
  std::memcpy(line.data() + head.size(), spec.data(), spec.size());
  std::memcpy(line.data() + head.size() + spec.size(), "\r\n", 2);
  if (auto s = send_raw(line); !s) return s;
  auto reply = read_reply();
  if (!reply) return std::unexpected(reply.error());
  // 251: a key for that onion existed and was replaced.
  if (!reply->ok() && reply->status != 251)
    return fail(ErrorKind::kInvalidArgument, "tor refused ONION_CLIENT_AUTH_ADD: " + reply->message());
  return {};
}

Status TorControl::del_onion(std::string_view service_id) {
  if (!safe_arg(service_id)) return fail(ErrorKind::kInvalidArgument, "bad service id");
  auto reply = command("DEL_ONION " + std::string(service_id));
  if (!reply) return std::unexpected(reply.error());
  if (!reply->ok()) return fail(ErrorKind::kNotFound, "tor refused DEL_ONION: " + reply->message());
  return {};
}

Result<std::string> TorControl::getinfo(std::string_view key) {
  if (!safe_arg(key)) return fail(ErrorKind::kInvalidArgument, "bad GETINFO key");
  auto reply = command("GETINFO " + std::string(key));
  if (!reply) return std::unexpected(reply.error());
  if (!reply->ok())
    return fail(ErrorKind::kNotFound, "tor refused GETINFO " + std::string(key) + ": " + reply->message());
  auto v = reply->value(key);
  if (!v) return fail(ErrorKind::kCorrupt, "tor's GETINFO reply lacks " + std::string(key));
  return *v;
}

}  // namespace lucid::beta
