#include "lucid/base/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace lucid {

unsigned default_thread_count() {
  return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& body) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) body(i);
  };
  unsigned n =
      static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), std::max<std::size_t>(count, 1)));
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
}

bool Slots::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return free_ > 0 || closed_; });
  if (closed_) return false;
  --free_;
  return true;
}

void Slots::release() {
  {
    std::lock_guard lock(mu_);
    ++free_;
  }
  cv_.notify_one();
}

void Slots::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace lucid
