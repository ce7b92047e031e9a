// A private Debian `docker-registry` (distribution 2.8) for e2e suites: started on a free 127.0.0.1
// port with temporary storage, stopped (SIGTERM, waited) by the destructor.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "testing/testing.h"

namespace lucid::testing {

class LocalRegistry {
 public:
  LocalRegistry() = default;
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  // Empty on success, else why not (suites GTEST_SKIP with it). Waits at most 5 s for /v2/.
  std::string start();
  const std::string& url() const { return url_; }    // "http://127.0.0.1:PORT"
  const std::string& host() const { return host_; }  // "127.0.0.1:PORT" (what docker push addresses)

 private:
  pid_t pid_ = -1;
  std::unique_ptr<ScratchDir> dir_;
  std::string url_, host_;
};

// A registry mirror having a bad day: a loopback HTTP proxy in front of `upstream` that forwards GET
// and HEAD (status, headers and body as the registry sent them) except for requests whose path
// contains a chosen text, which get a chosen HTTP status instead (503, 429, …). One request at a time.
class FaultyMirror {
 public:
  explicit FaultyMirror(std::string upstream_url) : upstream_(std::move(upstream_url)) {}
  ~FaultyMirror();
  FaultyMirror(const FaultyMirror&) = delete;
  FaultyMirror& operator=(const FaultyMirror&) = delete;

  // Empty on success, else why not.
  std::string start();
  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  // Requests whose path contains `needle` are answered `status` until clear().
  void fail(const std::string& needle, int status);
  void clear();
  int faults_served() const { return faults_; }

 private:
  void serve(int fd);
  std::string upstream_, url_;
  int listen_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> faults_{0};
  std::mutex mu_;
  std::map<std::string, int> rules_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();

}  // namespace lucid::testing
