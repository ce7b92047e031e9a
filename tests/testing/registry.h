// A private Debian `docker-registry` (distribution 2.8) for e2e suites: started on a free 127.0.0.1
// port with temporary storage, stopped (SIGTERM, waited) by the destructor.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

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

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();

}  // namespace lucid::testing
