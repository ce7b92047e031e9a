#include "lucid/reconcile/cluster_lock.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

namespace lucid::reconcile {

Result<ClusterLock> ClusterLock::take(const std::filesystem::path& state_dir, const std::string& cluster) {
  if (cluster.empty() || cluster.find('/') != std::string::npos || cluster.starts_with("."))
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid cluster id '{}'", cluster));
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  const std::filesystem::path file = state_dir / (cluster + ".lock");
  auto lock = FileLock::take(file, FileLock::Wait::kNo);
  if (!lock && lock.error().kind == ErrorKind::kAlreadyExists) {
    std::ifstream in(file);
    std::string holder((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("cluster {} is already reconciled by process {} (lock {}); one reconciler per "
                            "cluster",
                            cluster, holder.empty() ? "(unknown pid)" : holder, file.string()));
  }
  if (!lock) return std::unexpected(lock.error());
  // The holder's pid, for the message above; the lock itself is the flock, not the file's content.
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(lock->fd(), 0) != 0 ||
      ::pwrite(lock->fd(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return fail(ErrorKind::kIo, fmt::format("{}: {}", file.string(), std::strerror(errno)));
  return ClusterLock(std::move(*lock));
}

}  // namespace lucid::reconcile
