#include "lucid/beta/log.h"

#include <chrono>
#include <cstdio>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "lucid/base/thread_annotations.h"

namespace lucid::beta {

void log_line(std::string_view component, std::string_view message) {
  // Guards no data: it keeps lines from different threads whole on stderr.
  static Mutex mu;
  auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  MutexLock lock(mu);
  fmt::print(stderr, "{:%Y-%m-%dT%H:%M:%S}Z beta[{}]: {}\n", now, component, message);
  std::fflush(stderr);
}

}  // namespace lucid::beta
