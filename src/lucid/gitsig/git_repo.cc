#include "lucid/gitsig/git_repo.h"

#include <filesystem>

#include <fmt/format.h>

#include "lucid/base/subprocess.h"

namespace lucid::gitsig {

namespace {

Status check_repo(const std::string& repo) {
  std::error_code ec;
  if (!std::filesystem::is_directory(repo, ec))
    return fail(ErrorKind::kNotFound, fmt::format("{}: no such directory", repo));
  auto r = run_git(repo, {"rev-parse", "--git-dir"});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kNotFound, fmt::format("{}: not a git repository ({})", repo, first_line(r->err)));
  return {};
}

std::string strip_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Result<std::string> resolve_commit(const std::string& repo, std::string_view rev) {
  if (auto s = check_repo(repo); !s) return std::unexpected(s.error());
  if (rev.empty()) return fail(ErrorKind::kInvalidArgument, "empty revision");
  auto r =
      run_git(repo, {"rev-parse", "--verify", "--quiet", "--end-of-options", std::string(rev) + "^{commit}"});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kNotFound, fmt::format("{}: revision \"{}\" names no commit", repo, rev));
  return strip_newline(r->out);
}

Result<std::string> read_commit_object(const std::string& repo, const std::string& commit_id) {
  auto r = run_git(repo, {"cat-file", "commit", commit_id});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kNotFound,
                fmt::format("{}: cannot read commit {}: {}", repo, commit_id, first_line(r->err)));
  return std::move(r->out);
}

Result<std::optional<std::string>> read_file_at(const std::string& repo, const std::string& commit_id,
                                                const std::string& path) {
  auto id = run_git(repo, {"rev-parse", "--verify", "--quiet", "--end-of-options", commit_id + ":" + path});
  if (!id) return std::unexpected(id.error());
  if (id->exit_code != 0) return std::optional<std::string>();
  auto r = run_git(repo, {"cat-file", "blob", strip_newline(id->out)});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}:{} is not a file ({})", commit_id, path, first_line(r->err)));
  return std::optional<std::string>(std::move(r->out));
}

Result<bool> is_ancestor(const std::string& repo, const std::string& ancestor,
                         const std::string& descendant) {
  auto r = run_git(repo, {"merge-base", "--is-ancestor", ancestor, descendant});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code == 0) return true;
  if (r->exit_code == 1) return false;
  return fail(ErrorKind::kIo, fmt::format("{}: git merge-base failed: {}", repo, first_line(r->err)));
}

}  // namespace lucid::gitsig
