#include "lucid/sessions/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace lucid::sessions {

std::chrono::milliseconds RateLimiter::take(std::string_view key, std::int64_t now_ms) {
  MutexLock lock(mu_);
  auto found = buckets_.find(key);
  if (found == buckets_.end())
    found = buckets_.emplace(std::string(key), Bucket{limits_.burst, now_ms}).first;
  Bucket& bucket = found->second;
  const double per_ms = limits_.per_minute / 60'000.0;
  if (now_ms > bucket.updated_ms) {
    bucket.tokens =
        std::min(limits_.burst, bucket.tokens + static_cast<double>(now_ms - bucket.updated_ms) * per_ms);
    bucket.updated_ms = now_ms;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::chrono::milliseconds(0);
  }
  if (per_ms <= 0) return std::chrono::milliseconds(INT64_MAX / 2);  // a limit of zero admits nothing more
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil((1.0 - bucket.tokens) / per_ms)));
}

}  // namespace lucid::sessions
