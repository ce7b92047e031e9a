#include "lucid/base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace lucid {

Result<FileLock> FileLock::take(const std::filesystem::path& path, Wait wait) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot create: {}", path.string(), std::strerror(errno)));
  const int op = wait == Wait::kYes ? LOCK_EX : LOCK_EX | LOCK_NB;
  while (::flock(fd, op) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return fail(ErrorKind::kAlreadyExists, fmt::format("{}: held by another process", path.string()));
    return fail(ErrorKind::kIo, fmt::format("{}: cannot lock: {}", path.string(), std::strerror(err)));
  }
  return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace lucid
