#include "lucid/base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <fmt/std.h>

namespace lucid {
namespace fs = std::filesystem;

std::string errno_text(int err) {
  return std::strerror(err);
}

namespace {
Error io_error(const fs::path& path, const std::string& action, int err) {
  return Error{err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
               fmt::format("{}: cannot {}: {}", path.string(), action, errno_text(err))};
}

// "out/" names the same thing as "out"; the staging name is built from the last component.
fs::path without_trailing_slash(const fs::path& p) {
  return p.has_filename() || !p.has_parent_path() ? p : p.parent_path();
}

// Random suffix for temporary names; mkstemp/mkdtemp supply the randomness.
fs::path hidden_sibling(const fs::path& target, const char* kind) {
  fs::path parent = target.parent_path();  // callers pass targets without a trailing slash
  if (parent.empty()) parent = ".";
  return parent / fmt::format(".{}.{}-XXXXXX", target.filename().string(), kind);
}
}  // namespace

Result<std::vector<std::uint8_t>> read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(io_error(path, "open", errno));
  std::vector<std::uint8_t> out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: is a directory, expected a file", path.string()));
  }
  if (st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
  std::uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return std::unexpected(io_error(path, "read", err));
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

Result<std::string> read_text_file(const fs::path& path) {
  auto bytes = read_file(path);
  if (!bytes) return std::unexpected(bytes.error());
  return std::string(bytes->begin(), bytes->end());
}

Status write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorKind::kIo, fmt::format("{}: cannot write: {}", what, errno_text(errno)));
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

Status fsync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(io_error(dir, "open directory", errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return std::unexpected(io_error(dir, "fsync", err));
  return {};
}

Status write_file_atomic(const fs::path& path, std::span<const std::uint8_t> bytes, unsigned mode) {
  auto file = StagingFile::create(path, mode);
  if (!file) return std::unexpected(file.error());
  if (auto s = write_all(file->fd(), bytes, path.string()); !s) return s;
  return file->commit();
}

Status append_line(const fs::path& path, const std::string& line, unsigned mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
  if (fd < 0) return std::unexpected(io_error(path, "open for append", errno));
  std::string with_newline = line + "\n";
  auto s = write_all(fd, {reinterpret_cast<const std::uint8_t*>(with_newline.data()), with_newline.size()},
                     path.string());
  if (s && ::fsync(fd) != 0) s = std::unexpected(io_error(path, "fsync", errno));
  ::close(fd);
  return s;
}

// ---- StagingDir ----

Result<StagingDir> StagingDir::create(const fs::path& target_in) {
  const fs::path target = without_trailing_slash(target_in);
  std::error_code ec;
  auto status = fs::symlink_status(target, ec);
  if (!ec && fs::exists(status)) {
    if (!fs::is_directory(status)) {
      return fail(
          ErrorKind::kAlreadyExists,
          fmt::format("{}: exists and is not a directory; choose a new output path", target.string()));
    }
    if (!fs::is_empty(target, ec)) {
      return fail(ErrorKind::kAlreadyExists,
                  fmt::format("{}: directory exists and is not empty; choose a new output path or remove it",
                              target.string()));
    }
  }
  std::string templ = hidden_sibling(target, "staging").string();
  if (::mkdtemp(templ.data()) == nullptr)
    return std::unexpected(io_error(templ, "create staging directory", errno));
  return StagingDir(target, fs::path(templ));
}

StagingDir::StagingDir(StagingDir&& other) noexcept
    : target_(std::move(other.target_)), staging_(std::move(other.staging_)), committed_(other.committed_) {
  other.committed_ = true;  // the moved-from object owns nothing
}

StagingDir::~StagingDir() {
  if (!committed_ && !staging_.empty()) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

Status StagingDir::commit() {
  if (auto s = fsync_directory(staging_); !s) return s;
  std::error_code ec;
  // An empty directory at the target is allowed (e.g. made by the caller); rename(2) replaces it.
  if (::rename(staging_.c_str(), target_.c_str()) != 0) {
    return std::unexpected(io_error(target_, "move output into place", errno));
  }
  committed_ = true;
  fs::path parent = target_.parent_path();
  return fsync_directory(parent.empty() ? fs::path(".") : parent);
}

// ---- StagingFile ----

Result<StagingFile> StagingFile::create(const fs::path& target_in, unsigned mode) {
  const fs::path target = without_trailing_slash(target_in);
  std::string templ = hidden_sibling(target, "tmp").string();
  int fd = ::mkstemp(templ.data());
  if (fd < 0) return std::unexpected(io_error(templ, "create temporary file", errno));
  if (::fchmod(fd, mode) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(templ.c_str());
    return std::unexpected(io_error(templ, "chmod", err));
  }
  return StagingFile(target, fs::path(templ), fd);
}

StagingFile::StagingFile(StagingFile&& other) noexcept
    : target_(std::move(other.target_)),
      staging_(std::move(other.staging_)),
      fd_(other.fd_),
      committed_(other.committed_) {
  other.fd_ = -1;
  other.committed_ = true;
}

StagingFile::~StagingFile() {
  discard();
}

void StagingFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!committed_ && !staging_.empty()) ::unlink(staging_.c_str());
  committed_ = true;
}

Status StagingFile::commit() {
  if (::fsync(fd_) != 0) return std::unexpected(io_error(staging_, "fsync", errno));
  ::close(fd_);
  fd_ = -1;
  if (::rename(staging_.c_str(), target_.c_str()) != 0)
    return std::unexpected(io_error(target_, "move output into place", errno));
  committed_ = true;
  fs::path parent = target_.parent_path();
  return fsync_directory(parent.empty() ? fs::path(".") : parent);
}

}  // namespace lucid
