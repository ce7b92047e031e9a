// A real etcd cluster for tests: N members of Debian's etcd 3.4 (/usr/bin/etcd, found on PATH) on free
// loopback ports, data and logs in a scratch directory, killed and reaped by the destructor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "testing/testing.h"

namespace lucid::testing {

class EtcdCluster {
 public:
  EtcdCluster() = default;
  ~EtcdCluster();  // SIGKILLs and reaps every member still running
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Whether `etcd` is on PATH; when not, suites GTEST_SKIP with skip_reason().
  static bool available();
  static std::string skip_reason();

  // Starts `members` members as a new cluster (unique token, heartbeat 100 ms, election 1 s) and waits
  // until each answers /health. On failure (kIo, with the tail of the failing member's log) nothing
  // is left running.
  Status start(int members, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  int size() const { return static_cast<int>(members_.size()); }
  std::vector<std::string> client_urls() const;  // every member's, in member order
  std::string client_url(int i) const;           // "http://127.0.0.1:PORT"
  bool running(int i) const { return members_.at(static_cast<std::size_t>(i)).pid > 0; }

  // SIGKILL, then reaped: the member is gone when this returns.
  void kill(int i);
  // Starts a killed member again with its data directory and ports (--initial-cluster-state existing);
  // does not wait for it (see wait_healthy).
  Status restart(int i);
  // Until the member answers /health with "true" (it has a leader); kIo with its log tail otherwise.
  Status wait_healthy(int i, std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // The last `bytes` of the member's log (its stderr), for failure messages.
  std::string log_tail(int i, std::size_t bytes = 3000) const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::filesystem::path data_dir;
    std::filesystem::path log;
    pid_t pid = -1;
  };
  Status launch(Member& m, bool existing);
  void stop_all();

  std::unique_ptr<ScratchDir> dir_;
  std::vector<Member> members_;
  std::string token_;
  std::string initial_cluster_;
};

}  // namespace lucid::testing
