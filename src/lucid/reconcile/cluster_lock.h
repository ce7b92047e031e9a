// One reconciler per cluster: an exclusive lock on <state-dir>/<cluster>.lock, held for the life of
// the process (flock(2): released by the kernel when the process ends, however it ends).
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include "lucid/base/file_lock.h"
#include "lucid/base/result.h"

namespace lucid::reconcile {

class ClusterLock {
 public:
  // Takes the lock without waiting. kAlreadyExists when another process holds it: the message names the
  // lock file and the holder's pid (written into the file by the holder).
  static Result<ClusterLock> take(const std::filesystem::path& state_dir, const std::string& cluster);

 private:
  explicit ClusterLock(FileLock lock) : lock_(std::move(lock)) {}
  FileLock lock_;
};

}  // namespace lucid::reconcile
