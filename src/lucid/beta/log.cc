#include "lucid/beta/log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace lucid::beta {

void log_line(std::string_view component, std::string_view message) {
  static std::mutex mu;
  auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::lock_guard lock(mu);
  fmt::print(stderr, "{:%Y-%m-%dT%H:%M:%S}Z beta[{}]: {}\n", now, component, message);
  std::fflush(stderr);
}

}  // namespace lucid::beta
