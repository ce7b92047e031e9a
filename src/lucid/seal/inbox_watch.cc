#include "lucid/seal/inbox_watch.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "lucid/base/files.h"

namespace lucid::seal {
namespace {

// A new entry that no write will follow: a symbolic link, directory or special file (all refused
// by the worker), or a hard link to a finished file. A new regular file waits for its close.
bool created_whole(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  return !S_ISREG(st.st_mode) || st.st_nlink > 1;
}

}  // namespace

Result<InboxWatch> InboxWatch::open(const std::filesystem::path& dir) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return fail(ErrorKind::kIo, fmt::format("inotify_init1: {}", errno_text(errno)));
  if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
    int err = errno;
    ::close(fd);
    return fail(ErrorKind::kIo, fmt::format("{}: cannot watch: {}", dir.string(), errno_text(err)));
  }
  return InboxWatch(fd, dir);
}

InboxWatch::~InboxWatch() {
  if (fd_ >= 0) ::close(fd_);
}

Result<InboxWatch::Events> InboxWatch::read() {
  Events out;
  alignas(inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return out;
      return fail(ErrorKind::kIo,
                  fmt::format("{}: reading inotify events: {}", dir_.string(), errno_text(errno)));
    }
    for (ssize_t off = 0; off < n;) {
      inotify_event ev{};
      std::memcpy(&ev, buf + off, sizeof ev);
      if (ev.mask & IN_Q_OVERFLOW) out.overflow = true;
      if (ev.mask & IN_IGNORED)
        return fail(ErrorKind::kNotFound,
                    fmt::format("{}: the inbox was removed or unmounted; restart the worker", dir_.string()));
      const char* name = buf + off + sizeof(inotify_event);  // NUL-padded
      if ((ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) && ev.len > 0) out.names.emplace_back(name);
      if ((ev.mask & IN_CREATE) && ev.len > 0 && created_whole(dir_ / name)) out.names.emplace_back(name);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev.len);
    }
  }
}

}  // namespace lucid::seal
