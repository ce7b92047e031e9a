#include "lucid/seal/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/seal/keys.h"

namespace lucid::seal {
namespace fs = std::filesystem;

namespace {

std::string who() {
  return fmt::format("uid {}", ::geteuid());
}

// `dir` exists as a real directory; created with `mode` when absent. With `tighten`, group/other bits
// of an existing directory are removed.
Status ensure_dir(const fs::path& dir, mode_t mode, bool tighten) {
  if (::mkdir(dir.c_str(), mode) == 0) {
    if (::chmod(dir.c_str(), mode) != 0)  // the umask may have narrowed or we may want exactly `mode`
      return fail(ErrorKind::kIo, fmt::format("{}: cannot chmod: {}", dir.string(), errno_text(errno)));
    return {};
  }
  if (errno != EEXIST)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot create: {} (running as {}; the spool must be "
                                            "writable by this user)",
                                            dir.string(), errno_text(errno), who()));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("{}: exists and is not a directory; move it out of the spool", dir.string()));
  if (tighten && (st.st_mode & 077) != 0 && ::chmod(dir.c_str(), mode) != 0)
    return fail(ErrorKind::kIo, fmt::format("{}: mode {:04o} is too open and cannot be changed: {}",
                                            dir.string(), st.st_mode & 0777, errno_text(errno)));
  return {};
}

// Removes hidden entries of `dir` whose name contains `marker` (what StagingDir/StagingFile leave
// after a crash: ".NAME.staging-XXXXXX", ".NAME.tmp-XXXXXX").
void remove_leftovers(const fs::path& dir, std::string_view marker) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with('.') && name.find(marker) != std::string::npos) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
  }
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "directory";
  if (S_ISFIFO(mode)) return "named pipe";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "device";
  return "special file";
}

// True when `path` (not followed if a link) is still the file `opened` was taken from. Only the
// moment between this check and the unlink that follows it remains open to a replacement.
bool same_file(const fs::path& path, const struct stat& opened) {
  struct stat now {};
  return ::lstat(path.c_str(), &now) == 0 && now.st_dev == opened.st_dev && now.st_ino == opened.st_ino;
}

}  // namespace

Result<SpoolLock> SpoolLock::acquire(const Spool& spool) {
  std::error_code ec;
  fs::create_directories(spool.root, ec);
  if (ec)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot create the spool: {} (running as {})",
                                            spool.root.string(), ec.message(), who()));
  auto lock = FileLock::take(spool.root / ".lock", FileLock::Wait::kNo);
  if (!lock && lock.error().kind == ErrorKind::kAlreadyExists)
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("{}: another lucid-node-worker is running on this spool", spool.root.string()));
  if (!lock)
    return fail(ErrorKind::kIo, fmt::format("{} (running as {}; the spool must be writable by this user)",
                                            lock.error().message, who()));
  return SpoolLock(std::move(*lock));
}

Status prepare_spool(const Spool& spool) {
  std::error_code ec;
  fs::create_directories(spool.root, ec);
  if (ec)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot create the spool: {} (running as {})",
                                            spool.root.string(), ec.message(), who()));
  if (auto s = ensure_dir(spool.inbox(), 0700, false); !s) return s;
  if (auto s = ensure_dir(spool.sessions(), 0755, false); !s) return s;
  if (auto s = ensure_dir(spool.keys(), 0700, true); !s) return s;
  if (auto s = ensure_dir(spool.failed(), 0700, false); !s) return s;
  remove_leftovers(spool.sessions(), ".staging-");
  remove_leftovers(spool.keys(), ".tmp-");
  remove_leftovers(spool.root, ".tmp-");
  return {};
}

Result<crypto::Ed25519KeyPair> load_or_create_node_key(const Spool& spool, bool& created) {
  std::error_code ec;
  created = !fs::exists(fs::symlink_status(spool.node_key(), ec));
  if (created) return generate_node_key(spool.node_key());
  return load_node_key(spool.node_key());
}

bool is_recording_name(std::string_view name) {
  return !name.empty() && !name.starts_with('.') && !name.ends_with(".part");
}

Result<std::vector<std::string>> list_inbox(const Spool& spool) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::directory_iterator(spool.inbox(), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (is_recording_name(name)) names.push_back(std::move(name));
  }
  if (ec)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot list: {}", spool.inbox().string(), ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

Result<SealedRecording> seal_inbox_entry(const Spool& spool, const std::string& name,
                                         const crypto::Ed25519KeyPair& node_key, const SealOptions& options) {
  const fs::path input = spool.inbox() / name;
  // O_NONBLOCK: a named pipe must not stall the worker; it is refused below like any non-file.
  int fd = ::open(input.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return fail(ErrorKind::kNotFound, fmt::format("{}: gone", input.string()));
    if (err == ELOOP)
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: is a symbolic link; only regular files are sealed (move the recording "
                              "itself into inbox/)",
                              input.string()));
    return fail(ErrorKind::kIo, fmt::format("{}: cannot open: {}", input.string(), errno_text(err)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot stat: {}", input.string(), errno_text(errno)));
  if (!S_ISREG(st.st_mode))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: is a {}, not a regular file; only regular files are sealed", input.string(),
                            file_kind(st.st_mode)));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);

  const fs::path out = spool.session_dir(name);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(out, ec)))
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("{}: already exists: a recording named \"{}\" was sealed before; rename the "
                            "recording and move it into inbox/ again",
                            out.string(), name));
  // A key file without its session is what an interrupted seal of this name left: replace it.
  const fs::path key_file = spool.session_key(name);
  fs::remove(key_file, ec);
  auto key = load_session_key(key_file, true);
  if (!key) return std::unexpected(key.error());
  auto summary = seal_stream(fd, out, node_key, *key, options);
  if (!summary) {
    fs::remove(key_file, ec);
    return std::unexpected(summary.error());
  }
  // The session and its key are durable; the input may go — but only the file that was sealed. One
  // renamed over inbox/NAME meanwhile is a different recording: it stays (and, its name now being
  // taken in sessions/, goes to failed/ with that reason when its turn comes). Should the unlink
  // fail, a restart finds the name taken and moves the input to failed/ the same way.
  SealedRecording sealed{std::move(*summary), out, {}};
  if (!same_file(input, st))
    sealed.input_kept = fmt::format(
        "{} was replaced by another file while it was being sealed; the new file "
        "was left in place",
        input.string());
  else
    ::unlink(input.c_str());
  return sealed;
}

Result<fs::path> quarantine_inbox_entry(const Spool& spool, const std::string& name,
                                        const std::string& reason) {
  const fs::path from = spool.inbox() / name;
  for (int n = 1; n < 10000; ++n) {
    fs::path to = spool.failed() / (n == 1 ? name : fmt::format("{}~{}", name, n));
    int rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && errno == EINVAL) {  // a file system without RENAME_NOREPLACE
      std::error_code ec;
      if (fs::exists(fs::symlink_status(to, ec))) continue;
      rc = ::rename(from.c_str(), to.c_str());
    }
    if (rc != 0 && errno == EEXIST) continue;
    if (rc != 0)
      return fail(ErrorKind::kIo,
                  fmt::format("{}: cannot move to {}: {}", from.string(), to.string(), errno_text(errno)));
    std::string text = reason + "\n";
    fs::path error_file = to.string() + ".error";
    if (auto s = write_file_atomic(error_file,
                                   {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, 0600);
        !s)
      return std::unexpected(s.error());
    return to;
  }
  return fail(ErrorKind::kAlreadyExists,
              fmt::format("{}: too many failed inputs named \"{}\"; clear out the folder",
                          spool.failed().string(), name));
}

}  // namespace lucid::seal
