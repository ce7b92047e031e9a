#include "lucid/seal/session_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "lucid/base/files.h"

namespace lucid::seal {
namespace fs = std::filesystem;

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISREG(mode)) return "a regular file";
  return "a special file";
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Error refused(const fs::path& shown, const char* kind, const char* wanted) {
  return Error{ErrorKind::kInvalidArgument,
               fmt::format("{}: is {}, not {}; a session directory holds only regular files and its chunks/ "
                           "directory (links are never followed)",
                           shown.string(), kind, wanted)};
}

// Why opening `name` under `parent` failed, for the message: a link or special file is named as such.
Error open_error(int parent, const std::string& name, const fs::path& shown, int err, bool want_dir) {
  if (err == ENOENT) return Error{ErrorKind::kNotFound, fmt::format("{}: missing", shown.string())};
  struct stat st {};
  if ((err == ELOOP || err == ENOTDIR) && ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
    return refused(shown, kind_of(st.st_mode), want_dir ? "a directory" : "a regular file");
  return Error{ErrorKind::kIo, fmt::format("{}: cannot open: {}", shown.string(), errno_text(err))};
}

}  // namespace

SessionFile::~SessionFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status SessionFile::read_all(std::vector<std::uint8_t>& out) const {
  out.resize(size_);
  std::uint64_t done = 0;
  while (done < size_) {
    ssize_t n = ::pread(fd_, out.data() + done, size_ - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return fail(ErrorKind::kIo, fmt::format("{}: cannot read: {}", path_.string(),
                                              n < 0 ? errno_text(errno) : "file shrank"));
    done += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<SessionFile> open_session_file(const fs::path& dir, const fs::path& relative,
                                      std::uint64_t max_bytes) {
  const fs::path shown = dir / relative;
  // The session directory itself is the caller's choice and may be reached through links.
  Fd current{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (current.fd < 0) return std::unexpected(open_error(AT_FDCWD, dir.string(), dir, errno, true));
  std::vector<std::string> parts;
  for (const auto& p : relative) parts.push_back(p.string());
  bool inside = !relative.is_absolute() && !parts.empty();
  for (const auto& p : parts) inside = inside && p != "." && p != ".." && !p.empty();
  if (!inside)
    return fail(ErrorKind::kInternal, fmt::format("{}: not a path inside the session", relative.string()));
  fs::path walked = dir;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    walked /= parts[i];
    int next = ::openat(current.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return std::unexpected(open_error(current.fd, parts[i], walked, errno, true));
    ::close(current.fd);
    current.fd = next;
  }
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer; it is refused below.
  int fd = ::openat(current.fd, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::unexpected(open_error(current.fd, parts.back(), shown, errno, false));
  Fd file{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot stat: {}", shown.string(), errno_text(errno)));
  if (!S_ISREG(st.st_mode)) return std::unexpected(refused(shown, kind_of(st.st_mode), "a regular file"));
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes)
    return fail(ErrorKind::kCorrupt, fmt::format("{}: is {} bytes, more than the format allows ({} bytes)",
                                                 shown.string(), size, max_bytes));
  file.fd = -1;
  return SessionFile(fd, size, shown);
}

Result<std::string> read_session_text(const fs::path& dir, const fs::path& relative,
                                      std::uint64_t max_bytes) {
  auto file = open_session_file(dir, relative, max_bytes);
  if (!file) return std::unexpected(file.error());
  std::vector<std::uint8_t> bytes;
  if (auto s = file->read_all(bytes); !s) return std::unexpected(s.error());
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace lucid::seal
