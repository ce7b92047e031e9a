#include "testing/etcd_cluster.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/http_client.h"
#include "testing/registry.h"
#include "testing/testing.h"

namespace lucid::testing {
namespace fs = std::filesystem;
namespace {

std::string url(int port) {
  return fmt::format("http://127.0.0.1:{}", port);
}

// A cluster token no other test run shares: members of two runs never join each other.
std::string unique_token() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return fmt::format("lucid-test-{}-{}-{:08x}", ::getpid(), counter++, rd());
}

}  // namespace

bool EtcdCluster::available() {
  return !find_program("etcd").empty();
}

std::string EtcdCluster::skip_reason() {
  return "etcd is not on PATH (Debian's etcd-server 3.4: apt-get install etcd-server; scripts/bootstrap "
         "does)";
}

Status EtcdCluster::start(int members, std::chrono::milliseconds timeout) {
  if (!members_.empty()) return fail(ErrorKind::kInvalidArgument, "the etcd cluster was already started");
  if (members < 1)
    return fail(ErrorKind::kInvalidArgument, fmt::format("an etcd cluster of {} members", members));
  if (!available()) return fail(ErrorKind::kNotFound, skip_reason());
  // A port found free can be taken before etcd binds it: one more try with new ports then.
  Status why;
  for (int attempt = 0; attempt < 2; ++attempt) {
    stop_all();
    members_.clear();
    dir_ = std::make_unique<ScratchDir>();
    token_ = unique_token();
    std::set<int> ports;
    while (ports.size() < 2 * static_cast<std::size_t>(members)) ports.insert(free_loopback_port());
    auto port = ports.begin();
    std::vector<std::string> peers;
    for (int i = 0; i < members; ++i) {
      Member m;
      m.name = fmt::format("m{}", i);
      m.client_port = *port++;
      m.peer_port = *port++;
      m.data_dir = dir_->path() / (m.name + ".data");
      m.log = dir_->path() / (m.name + ".log");
      peers.push_back(fmt::format("{}={}", m.name, url(m.peer_port)));
      members_.push_back(std::move(m));
    }
    initial_cluster_ = fmt::format("{}", fmt::join(peers, ","));
    why = {};
    for (auto& m : members_) {
      why = launch(m, false);
      if (!why) break;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int i = 0; why && i < members; ++i) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      why = wait_healthy(i, std::max(left, std::chrono::milliseconds(1)));
    }
    if (why) return {};
    bool port_taken = false;
    for (int i = 0; i < members; ++i)
      port_taken |= log_tail(i, 1 << 20).find("address already in use") != std::string::npos;
    if (!port_taken) break;
  }
  stop_all();
  return fail(ErrorKind::kIo,
              fmt::format("etcd cluster of {} did not start: {}", members, why.error().message));
}

Status EtcdCluster::launch(Member& m, bool existing) {
  static const std::string etcd = find_program("etcd");
  if (etcd.empty()) return fail(ErrorKind::kNotFound, skip_reason());
  std::vector<std::string> args = {etcd,
                                   "--name",
                                   m.name,
                                   "--data-dir",
                                   m.data_dir.string(),
                                   "--listen-client-urls",
                                   url(m.client_port),
                                   "--advertise-client-urls",
                                   url(m.client_port),
                                   "--listen-peer-urls",
                                   url(m.peer_port),
                                   "--initial-advertise-peer-urls",
                                   url(m.peer_port),
                                   "--initial-cluster",
                                   initial_cluster_,
                                   "--initial-cluster-state",
                                   existing ? "existing" : "new",
                                   "--initial-cluster-token",
                                   token_,
                                   "--heartbeat-interval",
                                   "100",
                                   "--election-timeout",
                                   "1000",
                                   "--logger",
                                   "zap",
                                   "--log-outputs",
                                   "stderr"};
  auto pid = spawn_server(args, m.log);
  if (!pid) return std::unexpected(pid.error());
  m.pid = *pid;
  return {};
}

std::vector<std::string> EtcdCluster::client_urls() const {
  std::vector<std::string> out;
  for (const auto& m : members_) out.push_back(url(m.client_port));
  return out;
}

std::string EtcdCluster::client_url(int i) const {
  return url(members_.at(static_cast<std::size_t>(i)).client_port);
}

void EtcdCluster::kill(int i) {
  Member& m = members_.at(static_cast<std::size_t>(i));
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGKILL);
  int status = 0;
  while (::waitpid(m.pid, &status, 0) < 0 && errno == EINTR) {
  }
  m.pid = -1;
}

Status EtcdCluster::restart(int i) {
  Member& m = members_.at(static_cast<std::size_t>(i));
  if (m.pid > 0) return fail(ErrorKind::kInvalidArgument, fmt::format("etcd member {} is still running", i));
  return launch(m, true);
}

Status EtcdCluster::wait_healthy(int i, std::chrono::milliseconds timeout) {
  Member& m = members_.at(static_cast<std::size_t>(i));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  HttpOptions options;
  options.timeout = std::chrono::milliseconds(1000);
  options.max_body_bytes = 1 << 16;
  for (;;) {
    if (m.pid <= 0) return fail(ErrorKind::kInvalidArgument, fmt::format("etcd member {} is not running", i));
    int status = 0;
    if (::waitpid(m.pid, &status, WNOHANG) == m.pid) {
      m.pid = -1;
      return fail(ErrorKind::kIo, fmt::format("etcd member {} {}; its log ends:\n{}", i,
                                              describe_wait_status(status), log_tail(i)));
    }
    auto r = http_get(url(m.client_port) + "/health", options);
    if (r && r->status == 200 && r->body.find(R"("health":"true")") != std::string::npos) return {};
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(
          ErrorKind::kIo,
          fmt::format("etcd member {} ({}) not healthy within {} ms (last answer: {}); its log ends:\n{}", i,
                      url(m.client_port), timeout.count(),
                      r ? fmt::format("HTTP {} {}", r->status, r->body) : r.error().message, log_tail(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string EtcdCluster::log_tail(int i, std::size_t bytes) const {
  return file_tail(members_.at(static_cast<std::size_t>(i)).log, bytes);
}

void EtcdCluster::stop_all() {
  for (std::size_t i = 0; i < members_.size(); ++i) kill(static_cast<int>(i));
}

EtcdCluster::~EtcdCluster() {
  stop_all();
}

}  // namespace lucid::testing
