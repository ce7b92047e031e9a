#include "lucid/base/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/number.h"
#include "lucid/base/tcp.h"
#include "lucid/base/text.h"

namespace lucid::http {
namespace {

using tcp::ipv4_text;

void send_all(int fd, const std::string& data) {
  (void)tcp::send_all(fd, data);  // a client that went away is not answered
}

std::string extra_headers(const Response& r) {
  std::string out;
  for (const auto& [name, value] : r.headers) out += fmt::format("{}: {}\r\n", name, value);
  return out;
}

std::string render(const Response& r) {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n{}", r.status,
      status_text(r.status), r.content_type, r.body.size(), extra_headers(r), r.body);
}

}  // namespace

bool Stream::write(std::string_view data) {
  if (broken_ || stop_.stop_requested()) return false;
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // closed, reset, or the send timeout (a client that stopped reading)
      broken_ = true;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

bool Stream::open() {
  if (broken_ || stop_.stop_requested()) return false;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) > 0) {
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) broken_ = true;
    char c;
    // A streaming client sends nothing after its request: readable means closed (0) or garbage.
    if (!broken_ && (p.revents & POLLIN) && ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) broken_ = true;
  }
  return !broken_;
}

std::string status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 401:
      return "Unauthorized";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

Result<std::unique_ptr<Server>> Server::start(const std::vector<std::string>& listen, Handler handler,
                                              ServerOptions options) {
  std::unique_ptr<Server> server(new Server(std::move(handler), options));
  if (::pipe2(server->wake_pipe_, O_CLOEXEC) != 0) return fail(ErrorKind::kIo, "pipe: " + errno_text(errno));
  for (const auto& address : listen) {
    auto l = tcp::listen(address);
    if (!l) return std::unexpected(l.error());
    server->listen_fds_.push_back(l->fd.release());
    server->ports_.push_back(l->port);
  }
  server->acceptor_ = std::thread([s = server.get()] { s->accept_loop(); });
  return server;
}

Server::~Server() {
  stop();
  for (int fd : listen_fds_) ::close(fd);
  for (int fd : wake_pipe_)
    if (fd >= 0) ::close(fd);
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  stop_source_.request_stop();  // streams waiting between writes wake up and return
  char c = 1;
  [[maybe_unused]] auto n = ::write(wake_pipe_[1], &c, 1);
  if (acceptor_.joinable()) acceptor_.join();
  std::unique_lock lock(mu_);
  // A stream blocked in send (a client that stopped reading) would wait out the send timeout.
  for (int fd : stream_fds_) ::shutdown(fd, SHUT_RDWR);
  idle_.wait(lock, [&] { return active_ == 0; });
}

void Server::accept_loop() {
  std::vector<pollfd> fds;
  for (int fd : listen_fds_) fds.push_back({fd, POLLIN, 0});
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
      int c = ::accept4(fds[i].fd, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string peer_ip = ipv4_text(peer);
      {
        std::lock_guard lock(mu_);
        const auto held = active_per_peer_.find(peer_ip);
        const int from_peer = held == active_per_peer_.end() ? 0 : held->second;
        const char* refusal = active_ >= options_.max_connections ? "too many connections\n"
                              : from_peer >= options_.max_connections_per_peer
                                  ? "too many connections from this address\n"
                                  : nullptr;
        if (refusal != nullptr) {
          send_all(c, render({503, "text/plain", refusal}));
          ::close(c);
          continue;
        }
        ++active_;
        ++active_per_peer_[peer_ip];
      }
      std::thread([this, c, peer_ip] {
        serve(c, peer_ip);
        ::close(c);
        std::lock_guard lock(mu_);
        --active_;
        if (--active_per_peer_[peer_ip] <= 0) active_per_peer_.erase(peer_ip);
        idle_.notify_all();
      }).detach();
    }
  }
}

void Server::serve(int fd, const std::string& peer_ip) {
  timeval tv{};
  tv.tv_sec = options_.io_timeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((options_.io_timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  Request req;
  sockaddr_in local{};
  socklen_t len = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  req.local_ip = ipv4_text(local);
  req.local_port = ntohs(local.sin_port);
  req.peer_ip = peer_ip;

  // The parser is deliberately small: it serves Lucid's own clients (betactl, the console page,
  // Prometheus, curl) on loopback or a plane network, and it refuses whatever it does not need
  // rather than interpreting it. The head is read whole, bounded by max_request_bytes, before any
  // of it is parsed, so a slow or endless head costs a bounded buffer and at most header_deadline,
  // never a parse of partial input.
  std::string buf;
  char chunk[2048];
  std::size_t end = std::string::npos;
  const auto head_due = std::chrono::steady_clock::now() + options_.header_deadline;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > options_.max_request_bytes) {
      send_all(fd, render({413, "text/plain", "request too large\n"}));
      return;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(head_due - std::chrono::steady_clock::now());
    pollfd in{fd, POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&in, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return;
    if (ready == 0) {  // deadline passed: a client that sent part of a head is told why
      if (!buf.empty()) send_all(fd, render({408, "text/plain", "request head not received in time\n"}));
      return;
    }
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // timeout or closed before a full request: nothing to answer
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  if (end > options_.max_request_bytes) {
    send_all(fd, render({413, "text/plain", "request too large\n"}));
    return;
  }
  std::string head = buf.substr(0, end);
  std::string rest = buf.substr(end + 4);
  auto line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  auto sp1 = request_line.find(' ');
  auto sp2 = sp1 == std::string::npos ? std::string::npos : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos || request_line.compare(sp2 + 1, 5, "HTTP/") != 0) {
    send_all(fd, render({400, "text/plain", "bad request line\n"}));
    return;
  }
  req.method = request_line.substr(0, sp1);
  req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (req.target.empty() || req.target[0] != '/') {
    send_all(fd, render({400, "text/plain", "bad request target\n"}));
    return;
  }
  // Header names are case-insensitive (RFC 9110 §5.1): stored lower-cased. A repeated header keeps
  // its last value; nothing here joins list-valued headers, and no handler reads one.
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    pos = e + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos) {
      send_all(fd, render({400, "text/plain", "bad header\n"}));
      return;
    }
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    req.headers[lower(line.substr(0, colon))] = value;
  }
  // Bodies come only with Content-Length. Chunked encoding (and any Transfer-Encoding beside a
  // Content-Length, the classic request-smuggling ambiguity) is refused instead of decoded.
  if (req.headers.contains("transfer-encoding")) {
    send_all(fd, render({411, "text/plain", "send the body with Content-Length (no chunked encoding)\n"}));
    return;
  }
  if (auto cl = req.headers.find("content-length"); cl != req.headers.end()) {
    // Digits only: no sign, no blanks, no list ("5, 5"), no overflow.
    auto parsed = parse_number<std::size_t>(cl->second, "Content-Length");
    if (!parsed) {
      send_all(fd, render({400, "text/plain", "bad Content-Length\n"}));
      return;
    }
    const std::size_t length = *parsed;
    if (length > options_.max_body_bytes) {
      send_all(fd, render({413, "text/plain", "request body too large\n"}));
      // Closing with the body unread would reset the connection before the client reads the 413.
      ::shutdown(fd, SHUT_WR);
      for (std::size_t drained = 0; drained < length && drained < (1u << 20);) {
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        drained += static_cast<std::size_t>(n);
      }
      return;
    }
    while (rest.size() < length) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // timeout or closed before the whole body
      rest.append(chunk, static_cast<std::size_t>(n));
    }
    req.body = rest.substr(0, length);
  }
  Response resp;
  try {
    resp = handler_(req);
  } catch (const std::exception&) {
    resp = {500, "text/plain", "internal error\n"};
  }
  if (resp.stream) {
    run_stream(fd, resp);
    return;
  }
  send_all(fd, render(resp));
}

void Server::run_stream(int fd, const Response& resp) {
  {
    std::lock_guard lock(mu_);
    if (streams_ >= options_.max_streams || stopping_) {
      send_all(fd, render({503, "text/plain", "too many streams\n"}));
      return;
    }
    ++streams_;
    stream_fds_.insert(fd);
  }
  send_all(fd, fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\n{}Connection: close\r\n\r\n", resp.status,
                           status_text(resp.status), resp.content_type, extra_headers(resp)));
  Stream stream(fd, stop_source_.get_token());
  try {
    resp.stream(stream);
  } catch (const std::exception&) {
    // the connection just ends: the client sees a closed stream and reconnects
  }
  std::lock_guard lock(mu_);
  --streams_;
  stream_fds_.erase(fd);
}

Result<std::string> query_param(const std::string& target, const std::string& name) {
  auto q = target.find('?');
  if (q == std::string::npos) return std::string();
  std::string query = target.substr(q + 1);
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == name) {
      auto value = percent_decode(std::string_view(kv).substr(eq + 1));
      if (!value) return std::unexpected(with_context("query parameter " + name, value.error()));
      return value;
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return std::string();
}

Response json_response(int status, const nlohmann::json& body) {
  return {status, "application/json", body.dump() + "\n"};
}

Response error_response(int status, std::string_view message) {
  return json_response(status, nlohmann::json{{"error", message}});
}

}  // namespace lucid::http
