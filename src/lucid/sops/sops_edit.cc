#include "lucid/sops/sops_edit.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/secret.h"
#include "lucid/sops/sops_file.h"

extern char** environ;

namespace lucid::sops {
namespace fs = std::filesystem;
namespace {

// Removes the private directory and its file, overwriting the file first.
class PrivateDir {
 public:
  explicit PrivateDir(fs::path dir) : dir_(std::move(dir)) {}
  ~PrivateDir() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      int fd = ::open(e.path().c_str(), O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
          std::vector<std::uint8_t> zeros(static_cast<std::size_t>(st.st_size), 0);
          (void)write_all(fd, zeros, "temporary");
          ::fsync(fd);
        }
        ::close(fd);
      }
    }
    fs::remove_all(dir_, ec);
  }
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

Result<int> run_editor(const std::string& editor, const fs::path& file) {
  std::vector<std::string> argv;
  std::istringstream words(editor);
  for (std::string w; words >> w;) argv.push_back(w);
  if (argv.empty()) argv.push_back("vi");
  argv.push_back(file.string());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0)
    return fail(ErrorKind::kNotFound, fmt::format("cannot start the editor '{}'", argv[0]));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return fail(ErrorKind::kIo, "waiting for the editor failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

fs::path sops_private_tmp_root() {
  if (::access("/dev/shm", W_OK | X_OK) == 0 && fs::is_directory("/dev/shm")) return "/dev/shm";
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? fs::path(tmp) : fs::path("/tmp");
}

Result<SopsEditOutcome> sops_edit_file(const fs::path& file,
                                       std::span<const crypto::X25519Identity> identities,
                                       const std::string& editor) {
  auto text = read_text_file(file);
  if (!text) return fail(text.error().kind, fmt::format("{}: cannot be read", file.string()));
  SopsFormat format = sops_format_for(file);
  auto parsed = sops_parse(*text, format, file.string());
  if (!parsed) return std::unexpected(parsed.error());
  auto plain = sops_decrypt(*parsed, identities, file.string());
  if (!plain) return std::unexpected(plain.error());
  auto before = sops_emit(plain->data, format);
  if (!before) return std::unexpected(before.error());

  std::string templ = (sops_private_tmp_root() / "lucid-edit-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr)
    return fail(ErrorKind::kIo, "cannot create a private temporary directory");
  PrivateDir dir(templ);
  ::chmod(dir.path().c_str(), 0700);
  fs::path tmp = dir.path() / file.filename();
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return fail(ErrorKind::kIo, "cannot create the private temporary file");
    auto s =
        write_all(fd, {reinterpret_cast<const std::uint8_t*>(before->data()), before->size()}, "temporary");
    ::close(fd);
    if (!s) return std::unexpected(s.error());
  }
  auto rc = run_editor(editor, tmp);
  if (!rc) {
    secure_zero(*before);
    return std::unexpected(rc.error());
  }
  if (*rc != 0) {
    secure_zero(*before);
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("the editor exited with status {}; {} is unchanged", *rc, file.string()));
  }
  auto after = read_text_file(tmp);
  if (!after) return fail(ErrorKind::kIo, "cannot read the edited temporary file back");
  bool same = *after == *before;
  secure_zero(*before);
  if (same) {
    secure_zero(*after);
    return SopsEditOutcome::kUnchanged;
  }
  auto edited = sops_load(*after, format, file.filename().string() + " (edited)");
  secure_zero(*after);
  if (!edited)
    return fail(edited.error().kind, fmt::format("the edited text does not parse, {} is unchanged: {}",
                                                 file.string(), edited.error().message));
  auto out = sops_reencrypt(*parsed, *plain, std::move(*edited));
  if (!out) return std::unexpected(out.error());
  auto bytes = sops_serialize(*out);
  if (!bytes) return std::unexpected(bytes.error());
  struct stat st {};
  unsigned mode = ::stat(file.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  if (auto s = write_file_atomic(file, {reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()},
                                 mode);
      !s)
    return std::unexpected(s.error());
  return SopsEditOutcome::kRewritten;
}

}  // namespace lucid::sops
