#include "testing/registry.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

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

}  // namespace lucid::testing
