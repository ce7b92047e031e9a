#include "lucid/rollout/config_repo.h"

#include <cctype>
#include <system_error>

#include <fmt/format.h>

#include "lucid/base/file_lock.h"
#include "lucid/base/subprocess.h"
#include "lucid/base/text.h"
#include "lucid/gitsig/git_repo.h"
#include "lucid/gitsig/git_runner.h"

namespace lucid::rollout {

namespace fs = std::filesystem;

namespace {

std::string trimmed(std::string_view s) {
  return std::string(trim(s));
}

// Runs git in the clone; the output, or an error naming what failed with git's first line.
Result<std::string> git(const fs::path& dir, std::vector<std::string> args, const std::string& what) {
  auto r = gitsig::run_git(dir.string(), std::move(args));
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kIo, fmt::format("{}: {}", what, first_line(r->err.empty() ? r->out : r->err)));
  return std::move(r->out);
}

// Options that make git sign with `signing` (nothing: git's own configuration decides).
std::vector<std::string> signing_options(const Signing& signing) {
  if (signing.ssh_key.empty()) return {};
  return {"-c", "gpg.format=ssh", "-c", "user.signingkey=" + signing.ssh_key};
}

// Changes to the clone take turns (the console's loop and an operator's CLI may share it).
Result<FileLock> lock_clone(const fs::path& dir) {
  return FileLock::take(dir.string() + ".lock", FileLock::Wait::kYes);
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.starts_with("-") || s.starts_with(".") || s.find("..") != std::string::npos)
    return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

}  // namespace

std::string pause_tag_ref(const std::string& wave) {
  return "refs/tags/lucid/paused/" + wave;
}

Result<ConfigRepo> ConfigRepo::open(const std::string& url, const fs::path& dir) {
  if (url.empty() || url.starts_with("-"))
    return fail(ErrorKind::kInvalidArgument, fmt::format("config repo URL '{}' is not usable", url));
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  ConfigRepo repo(url, dir);
  if (fs::exists(dir / "HEAD", ec)) return repo;
  auto lock = lock_clone(dir);
  if (!lock) return std::unexpected(lock.error());
  if (fs::exists(dir / "HEAD", ec)) return repo;
  gitsig::GitCommand clone;
  clone.args = {"clone", "-q", "--mirror", "--", url, dir.string()};
  clone.timeout = std::chrono::minutes(5);
  auto r = gitsig::run_git(clone);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) {
    fs::remove_all(dir, ec);
    return fail(ErrorKind::kIo, fmt::format("cannot clone the config repo {}: {}", url, first_line(r->err)));
  }
  return repo;
}

Status ConfigRepo::fetch() const {
  auto lock = lock_clone(dir_);
  if (!lock) return std::unexpected(lock.error());
  auto r = git(dir_,
               {"fetch", "-q", "--prune", "--", url_, "+refs/heads/*:refs/heads/*",
                "+refs/tags/lucid/*:refs/tags/lucid/*"},
               fmt::format("fetch {}", url_));
  if (!r) return std::unexpected(r.error());
  // The remote's default branch may have changed; a failure here keeps the old HEAD.
  (void)git(dir_, {"remote", "set-head", "origin", "--auto"}, "set-head");
  return {};
}

Result<std::string> ConfigRepo::resolve(const std::string& ref) const {
  auto r = gitsig::run_git(dir_.string(),
                           {"rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"});
  if (!r) return std::unexpected(r.error());
  return r->exit_code == 0 ? trimmed(r->out) : std::string();
}

Result<std::string> ConfigRepo::head() const {
  // The remote's HEAD, else main or master (a bare repository's HEAD may name a branch never pushed).
  for (const char* rev : {"HEAD", "refs/heads/main", "refs/heads/master"}) {
    auto id = resolve(rev);
    if (!id || !id->empty()) return id;
  }
  return fail(
      ErrorKind::kNotFound,
      fmt::format("the config repo {} has no default branch (its HEAD, main and master name no commit)",
                  url_));
}

Result<std::optional<std::string>> ConfigRepo::read_file(const std::string& commit,
                                                         const std::string& path) const {
  return gitsig::read_file_at(dir_.string(), commit, path);
}

Result<bool> ConfigRepo::is_ancestor(const std::string& ancestor, const std::string& descendant) const {
  return gitsig::is_ancestor(dir_.string(), ancestor, descendant);
}

Result<std::string> ConfigRepo::diff(const std::string& from, const std::string& to) const {
  auto stat = git(dir_, {"diff", "--stat", from, to, "--"}, "git diff --stat");
  if (!stat) return stat;
  auto full = git(dir_, {"diff", from, to, "--"}, "git diff");
  if (!full) return full;
  return *stat + "\n" + *full;
}

Result<std::string> ConfigRepo::subject(const std::string& commit) const {
  auto r = git(dir_, {"log", "-1", "--format=%s", commit, "--"}, "git log");
  if (!r) return r;
  return trimmed(*r);
}

Status ConfigRepo::fast_forward(const std::string& ref, const std::string& commit) const {
  if (!ref.starts_with("refs/heads/") || commit.empty())
    return fail(ErrorKind::kInvalidArgument, fmt::format("cannot move '{}' to '{}'", ref, commit));
  auto lock = lock_clone(dir_);
  if (!lock) return std::unexpected(lock.error());
  // No force: the remote itself refuses anything but a fast-forward (or the ref's creation).
  auto pushed =
      git(dir_, {"push", "-q", "--", url_, commit + ":" + ref}, fmt::format("push {} to {}", ref, url_));
  if (!pushed) return std::unexpected(pushed.error());
  auto kept = git(dir_, {"update-ref", ref, commit}, "update-ref");
  if (!kept) return std::unexpected(kept.error());
  return {};
}

Result<std::string> ConfigRepo::commit_tree_of(const std::string& target, const std::string& head,
                                               const std::string& message, const Signing& signing) const {
  std::vector<std::string> args = signing_options(signing);
  args.insert(args.end(), {"commit-tree", "-S", "-p", head, "-m", message, target + "^{tree}"});
  auto r = git(dir_, args, "signed commit (git commit-tree -S; is a signing key configured?)");
  if (!r) return r;
  return trimmed(*r);
}

Result<std::optional<Pause>> ConfigRepo::pause_of(const std::string& wave) const {
  auto r =
      git(dir_, {"for-each-ref", "--format=%(objecttype) %(contents)", pause_tag_ref(wave)}, "for-each-ref");
  if (!r) return std::unexpected(r.error());
  if (r->empty()) return std::optional<Pause>{};
  std::string text = trimmed(*r);
  if (text.starts_with("tag ")) text = text.substr(4);
  // A signed tag's contents end with its signature: show the message only.
  if (auto sig = text.find("-----BEGIN"); sig != std::string::npos) text = trimmed(text.substr(0, sig));
  return std::optional<Pause>{Pause{wave, text}};
}

Status ConfigRepo::pause(const std::string& wave, const std::string& commit, const std::string& message,
                         const Signing& signing) const {
  if (!valid_name(wave))
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid wave name '{}'", wave));
  auto lock = lock_clone(dir_);
  if (!lock) return std::unexpected(lock.error());
  const std::string tag = "lucid/paused/" + wave;
  // Signed when a key is given or git is configured to sign; else annotated.
  auto configured = gitsig::run_git(dir_.string(), {"config", "user.signingkey"});
  const bool sign = !signing.ssh_key.empty() || (configured && configured->exit_code == 0);
  std::vector<std::string> args = signing_options(signing);
  args.insert(args.end(), {"tag", sign ? "-s" : "-a", "-m", message, tag, commit});
  auto made = git(dir_, args, fmt::format("tag {}", tag));
  if (!made) return std::unexpected(made.error());
  // Without --force the remote refuses a second pause of the same wave.
  auto pushed = git(dir_, {"push", "-q", "--", url_, pause_tag_ref(wave)}, fmt::format("push {}", tag));
  if (!pushed) {
    (void)git(dir_, {"tag", "-d", tag}, "tag -d");
    return std::unexpected(pushed.error());
  }
  return {};
}

Status ConfigRepo::resume(const std::string& wave) const {
  if (!valid_name(wave))
    return fail(ErrorKind::kInvalidArgument, fmt::format("invalid wave name '{}'", wave));
  auto lock = lock_clone(dir_);
  if (!lock) return std::unexpected(lock.error());
  auto pushed = git(dir_, {"push", "-q", "--", url_, fmt::format(":{}", pause_tag_ref(wave))},
                    fmt::format("delete {} on {}", pause_tag_ref(wave), url_));
  if (!pushed) return std::unexpected(pushed.error());
  (void)git(dir_, {"update-ref", "-d", pause_tag_ref(wave)}, "update-ref -d");
  return {};
}

}  // namespace lucid::rollout
