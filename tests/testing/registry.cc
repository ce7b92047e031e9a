#include "testing/registry.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "lucid/base/http_client.h"

extern char** environ;

namespace lucid::testing {

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string LocalRegistry::start() {
  if (!have_program("docker-registry"))
    return "docker-registry not on PATH (apt-get install docker-registry; scripts/bootstrap does)";
  dir_ = std::make_unique<ScratchDir>();
  int port = free_loopback_port();
  auto config = *dir_ / "config.yml";
  std::ofstream(config) << "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n"
                           "  filesystem:\n    rootdirectory: "
                        << (*dir_ / "data").string()
                        << "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" << port << "\n";
  std::string log = (*dir_ / "registry.log").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::string prog = "docker-registry", serve = "serve", cfg = config.string();
  char* argv[] = {prog.data(), serve.data(), cfg.data(), nullptr};
  int rc = posix_spawnp(&pid_, "docker-registry", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    pid_ = -1;
    return "could not start docker-registry";
  }
  host_ = "127.0.0.1:" + std::to_string(port);
  url_ = "http://" + host_;
  for (int i = 0; i < 100; ++i) {
    auto r = http_get(url_ + "/v2/");
    if (r && r->status == 200) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "docker-registry did not answer on " + url_ + " within 5 s";
}

LocalRegistry::~LocalRegistry() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string FaultyMirror::start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return "faulty mirror: cannot listen on 127.0.0.1";
  url_ = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      serve(fd);
      ::close(fd);
    }
  });
  return {};
}

FaultyMirror::~FaultyMirror() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void FaultyMirror::fail(const std::string& needle, int status) {
  std::lock_guard lock(mu_);
  rules_[needle] = status;
}

void FaultyMirror::clear() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

void FaultyMirror::serve(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 64 * 1024) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    head.append(buf, static_cast<std::size_t>(n));
  }
  auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return;
  std::string method = head.substr(0, sp1), target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  HttpOptions o;
  o.timeout = std::chrono::seconds(30);
  // Forward Accept: the registry chooses the manifest media type by it.
  for (std::size_t at = head.find("\r\n"); at != std::string::npos && at + 2 < head.size();) {
    std::size_t end = head.find("\r\n", at + 2);
    std::string line = head.substr(at + 2, end - at - 2);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (name == "accept") o.headers["Accept"] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    at = end;
  }
  int status = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [needle, s] : rules_)
      if (target.find(needle) != std::string::npos) status = s;
  }
  std::string out;
  if (status != 0) {
    ++faults_;
    std::string body =
        method == "HEAD" ? "" : R"({"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]})";
    out = fmt::format(
        "HTTP/1.1 {} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        status, body.size(), body);
  } else {
    auto r = http_request(method, upstream_ + target, nullptr, "", o);
    if (!r) return;  // the client sees a dropped connection, as from a dead mirror
    out = fmt::format("HTTP/1.1 {} Forwarded\r\n", r->status);
    for (const auto& [name, value] : r->headers)
      if (name != "connection" && name != "transfer-encoding" &&
          (name != "content-length" || method == "HEAD"))
        out += fmt::format("{}: {}\r\n", name, value);
    if (method != "HEAD") out += fmt::format("content-length: {}\r\n", r->body.size());
    out += "connection: close\r\n\r\n" + r->body;
  }
  for (std::size_t off = 0; off < out.size();) {
    ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace lucid::testing
