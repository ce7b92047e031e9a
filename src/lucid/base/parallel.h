// Minimal parallelism helpers: the data path uses every core with bounded memory.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

namespace lucid {

// Number of worker threads to use when the user did not say: one per core, at least one.
unsigned default_thread_count();

// Runs body(i) for i in [0, count) on `threads` threads; each index runs exactly once.
void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& body);

// A counting semaphore whose acquire() can be abandoned: bounds items in flight in a pipeline.
class Slots {
 public:
  explicit Slots(std::size_t count) : free_(count) {}
  // Blocks until a slot is free or close() was called; false when closed.
  bool acquire();
  void release();
  void close();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t free_;
  bool closed_ = false;
};

}  // namespace lucid
