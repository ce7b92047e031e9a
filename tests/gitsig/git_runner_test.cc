// The one git runner: where git runs (-C or --git-dir), and which configuration counts — the
// user's (what signing and pushing need) or the repository's alone (git_mirror's proxied fetch).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "lucid/gitsig/git_runner.h"
#include "testing/testing.h"

namespace lucid::gitsig {
namespace {

namespace fs = std::filesystem;
using lucid::testing::ScratchDir;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

using lucid::testing::ScopedEnv;

class GitRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lucid::testing::have_program("git")) GTEST_SKIP() << "git is not installed (apt-get install git)";
    repo_ = dir_ / "repo";
    auto init = run_git(GitCommand{.args = {"init", "-q", repo_.string()}});
    ASSERT_TRUE(init && init->exit_code == 0);
    auto own = run_git(repo_.string(), {"config", "lucid.own", "repository"});
    ASSERT_TRUE(own && own->exit_code == 0);
    global_ = dir_ / "gitconfig";
    std::ofstream(global_) << "[lucid]\n\tglobal = user\n";
  }
  // `git config --get KEY` in the repository under `config`: the value, or "" when unset.
  std::string get(const std::string& key, GitConfig config, std::vector<std::string> options = {}) {
    GitCommand c{.work_dir = repo_, .args = std::move(options), .config = config};
    c.args.insert(c.args.end(), {"config", "--get", key});
    auto r = run_git(c);
    EXPECT_TRUE(r) << r.error().message;
    return r && r->exit_code == 0 ? trimmed(r->out) : std::string();
  }
  ScratchDir dir_;
  fs::path repo_;
  fs::path global_;
};

TEST_F(GitRunner, UserConfigurationCountsByDefault) {
  ScopedEnv global("GIT_CONFIG_GLOBAL", global_.string());
  EXPECT_EQ(get("lucid.global", GitConfig::kUser), "user");
  EXPECT_EQ(get("lucid.own", GitConfig::kUser), "repository");
}

TEST_F(GitRunner, RepositoryOnlyIgnoresGlobalFilesAndEnvironmentParameters) {
  ScopedEnv global("GIT_CONFIG_GLOBAL", global_.string());
  ScopedEnv count("GIT_CONFIG_COUNT", "1");
  ScopedEnv key("GIT_CONFIG_KEY_0", "lucid.param");
  ScopedEnv value("GIT_CONFIG_VALUE_0", "environment");
  EXPECT_EQ(get("lucid.param", GitConfig::kUser), "environment");
  EXPECT_EQ(get("lucid.global", GitConfig::kRepositoryOnly), "");
  EXPECT_EQ(get("lucid.param", GitConfig::kRepositoryOnly), "");
  // The repository's own configuration and the caller's -c options still count.
  EXPECT_EQ(get("lucid.own", GitConfig::kRepositoryOnly), "repository");
  EXPECT_EQ(get("lucid.given", GitConfig::kRepositoryOnly, {"-c", "lucid.given=caller"}), "caller");
}

TEST_F(GitRunner, RunsInAGitDirWithoutDiscovery) {
  GitCommand c{.git_dir = repo_ / ".git", .args = {"rev-parse", "--git-dir"}};
  auto r = run_git(c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_EQ(fs::path(trimmed(r->out)), repo_ / ".git");
  // -C a directory that is no repository: git's own error, as a non-zero exit.
  auto outside = run_git(dir_.path().string(), {"rev-parse", "--git-dir"});
  ASSERT_TRUE(outside);
  EXPECT_NE(outside->exit_code, 0);
}

}  // namespace
}  // namespace lucid::gitsig
