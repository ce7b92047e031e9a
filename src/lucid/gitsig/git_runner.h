// The one way Lucid runs git: no shell, base's allow-listed environment (run_process), a timeout,
// and, for a fetch that must not be redirected, only the repository's own configuration.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/subprocess.h"

namespace lucid::gitsig {

// Which git configuration counts besides the `-c` options among the arguments.
enum class GitConfig {
  // The repository's, the user's and the system's: signing with the operator's configured key and
  // pushing with their credentials need it.
  kUser,
  // The repository's only: no system or global file, no GIT_CONFIG_PARAMETERS / GIT_CONFIG_COUNT,
  // and none of the variables curl, git and ssh read to pick a proxy or an ssh command (NO_PROXY,
  // ALL_PROXY, GIT_SSH, GIT_SSH_COMMAND, GIT_PROXY_COMMAND): a `http.<url>.proxy` or
  // `url.<x>.insteadOf` from elsewhere would win over the caller's `-c` options (git_mirror's fetch
  // through the SOCKS proxy, which must fail closed).
  kRepositoryOnly,
};

struct GitCommand {
  // Where git runs: `git -C work_dir` (a work tree, or a bare repository found from that directory)
  // or `git --git-dir=git_dir` (exactly that repository, no discovery); neither for `git init DIR`.
  std::optional<std::filesystem::path> work_dir{};
  std::optional<std::filesystem::path> git_dir{};
  std::vector<std::string> args{};
  GitConfig config = GitConfig::kUser;
  std::optional<std::string> stdin_bytes{};  // nullopt: stdin is /dev/null
  std::chrono::milliseconds timeout{60000};
};

// kNotFound when git is not installed; a non-zero exit is the caller's to judge.
Result<ProcessResult> run_git(const GitCommand& command);

// `git -C REPO ARGS…` with the user's configuration and the default timeout.
Result<ProcessResult> run_git(const std::string& repo, std::vector<std::string> args);

}  // namespace lucid::gitsig
