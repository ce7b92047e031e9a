// Clang thread-safety annotations (-Wthread-safety) and a mutex that carries them: GUARDED_BY says
// which mutex guards a member, REQUIRES/EXCLUDES what a function expects. Empty on GCC.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define LUCID_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LUCID_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) LUCID_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY LUCID_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) LUCID_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) LUCID_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) LUCID_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) LUCID_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define REQUIRES(...) LUCID_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) LUCID_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) LUCID_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) LUCID_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) LUCID_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) LUCID_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) LUCID_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS LUCID_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace lucid {

// std::mutex with the capability annotation (libstdc++'s std::mutex has none, so clang cannot
// check code that locks one).
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds a Mutex for its scope (std::lock_guard / std::unique_lock with annotations). May be
// released and re-acquired inside the scope, and can wait on a std::condition_variable.
//
// A waiting predicate would be a lambda, which the analysis checks without knowing the lock is
// held; so waits take no predicate: loop on the condition in the function that holds the lock.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.mu_) {}
  ~MutexLock() RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Around I/O that must not run under the lock.
  void unlock() RELEASE() { lock_.unlock(); }
  void lock() ACQUIRE() { lock_.lock(); }

  // Releases the mutex while waiting, holds it again on return (spurious wake-ups included).
  template <typename Clock, typename Duration>
  std::cv_status wait_until(std::condition_variable& cv,
                            const std::chrono::time_point<Clock, Duration>& deadline) {
    return cv.wait_until(lock_, deadline);
  }
  template <typename Rep, typename Period>
  std::cv_status wait_for(std::condition_variable& cv, const std::chrono::duration<Rep, Period>& limit) {
    return cv.wait_for(lock_, limit);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace lucid
