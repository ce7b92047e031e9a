// An exclusive flock(2) on a file, held while the object lives and released by the kernel when the
// process ends, however it ends (one reconciler per cluster, one fetch into a mirror at a time, one
// node-worker per spool).
#pragma once

#include <filesystem>

#include "lucid/base/result.h"

namespace lucid {

class FileLock {
 public:
  enum class Wait { kNo, kYes };
  // Opens `path` (created 0600, never through a symlink) and locks it. With Wait::kNo,
  // kAlreadyExists when another open file description holds the lock. kIo when the file cannot be
  // created ("<path>: cannot create: …") or locked ("<path>: cannot lock: …").
  static Result<FileLock> take(const std::filesystem::path& path, Wait wait);
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  int fd() const { return fd_; }  // the locked file, for a holder that records itself in it

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace lucid
