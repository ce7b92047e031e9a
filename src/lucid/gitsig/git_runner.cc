#include "lucid/gitsig/git_runner.h"

#include <string_view>
#include <utility>

namespace lucid::gitsig {

namespace {

// What kRepositoryOnly removes from (or sets in) the allow-listed environment, through env(1):
// run_process passes GIT_* and the proxy variables on, and has no way to drop one.
constexpr std::string_view kRepositoryOnlyEnv[] = {"-u",
                                                   "NO_PROXY",
                                                   "-u",
                                                   "no_proxy",
                                                   "-u",
                                                   "ALL_PROXY",
                                                   "-u",
                                                   "all_proxy",
                                                   "-u",
                                                   "GIT_SSH",
                                                   "-u",
                                                   "GIT_SSH_COMMAND",
                                                   "-u",
                                                   "GIT_PROXY_COMMAND",
                                                   "-u",
                                                   "GIT_CONFIG_PARAMETERS",
                                                   "-u",
                                                   "GIT_CONFIG_COUNT",
                                                   "GIT_CONFIG_NOSYSTEM=1",
                                                   "GIT_CONFIG_GLOBAL=/dev/null"};

}  // namespace

Result<ProcessResult> run_git(const GitCommand& command) {
  ProcessOptions options;
  if (command.config == GitConfig::kRepositoryOnly) {
    options.argv.emplace_back("env");
    for (std::string_view a : kRepositoryOnlyEnv) options.argv.emplace_back(a);
  }
  options.argv.emplace_back("git");
  if (command.work_dir) options.argv.insert(options.argv.end(), {"-C", command.work_dir->string()});
  if (command.git_dir) options.argv.push_back("--git-dir=" + command.git_dir->string());
  options.argv.insert(options.argv.end(), command.args.begin(), command.args.end());
  options.stdin_bytes = command.stdin_bytes;
  options.timeout = command.timeout;
  auto r = run_process(options);
  if (!r && r.error().kind == ErrorKind::kNotFound)
    return fail(ErrorKind::kNotFound, "git is not installed (apt-get install git)");
  return r;
}

Result<ProcessResult> run_git(const std::string& repo, std::vector<std::string> args) {
  GitCommand command;
  command.work_dir = repo;
  command.args = std::move(args);
  return run_git(command);
}

}  // namespace lucid::gitsig
