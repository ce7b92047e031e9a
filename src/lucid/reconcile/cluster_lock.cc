#include "lucid/reconcile/cluster_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace lucid::reconcile {

Result<ClusterLock> ClusterLock::take(const std::filesystem::path& state_dir, const std::string& cluster) {
  if (cluster.empty() || cluster.find('/') != std::string::npos || cluster.starts_with("."))
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid cluster id '{}'", cluster));
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  const std::filesystem::path file = state_dir / (cluster + ".lock");
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(ErrorKind::kIo, fmt::format("{}: {}", file.string(), std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    if (e != EWOULDBLOCK)
      return fail(ErrorKind::kIo, fmt::format("{}: lock: {}", file.string(), std::strerror(e)));
    std::ifstream in(file);
    std::string holder((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("cluster {} is already reconciled by process {} (lock {}); one reconciler per "
                            "cluster",
                            cluster, holder.empty() ? "(unknown pid)" : holder, file.string()));
  }
  // The holder's pid, for the message above; the lock itself is the flock, not the file's content.
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int e = errno;
    ::close(fd);
    return fail(ErrorKind::kIo, fmt::format("{}: {}", file.string(), std::strerror(e)));
  }
  return ClusterLock(fd);
}

ClusterLock::ClusterLock(ClusterLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

ClusterLock& ClusterLock::operator=(ClusterLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ClusterLock::~ClusterLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lucid::reconcile
