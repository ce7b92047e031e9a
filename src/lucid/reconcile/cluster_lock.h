// One reconciler per cluster: an exclusive lock on <state-dir>/<cluster>.lock, held for the life of
// the process (flock(2): released by the kernel when the process ends, however it ends).
#pragma once

#include <filesystem>
#include <string>

#include "lucid/base/result.h"

namespace lucid::reconcile {

class ClusterLock {
 public:
  // Takes the lock without waiting. kAlreadyExists when another process holds it: the message names the
  // lock file and the holder's pid (written into the file by the holder).
  static Result<ClusterLock> take(const std::filesystem::path& state_dir, const std::string& cluster);
  ClusterLock(ClusterLock&& other) noexcept;
  ClusterLock& operator=(ClusterLock&& other) noexcept;
  ClusterLock(const ClusterLock&) = delete;
  ClusterLock& operator=(const ClusterLock&) = delete;
  ~ClusterLock();

 private:
  explicit ClusterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace lucid::reconcile
