// Per-caller token buckets: sessions-gateway's ingress limit per node key. Each key may make `burst`
// requests at once and then one per 60/per_minute seconds. The buckets live in one process: with
// several gateway replicas behind one onion a node gets up to that many times the limit, which the
// limit's purpose (one runaway node cannot flood the store or the chain) tolerates.
//
// Thread-safe. The caller bounds the number of keys (the gateway only asks for admitted nodes).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "lucid/base/thread_annotations.h"

namespace lucid::sessions {

struct RateLimits {
  double per_minute = 60;  // sustained requests per minute
  double burst = 10;       // requests at once after a quiet spell (the bucket's size)
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimits limits) : limits_(limits) {}

  // Takes one token from `key`'s bucket at `now_ms`: zero when the request is admitted, otherwise how
  // long until a token is there (nothing taken). A clock that steps back refills nothing.
  std::chrono::milliseconds take(std::string_view key, std::int64_t now_ms) EXCLUDES(mu_);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
  };

  RateLimits limits_;
  Mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_ GUARDED_BY(mu_);
};

}  // namespace lucid::sessions
