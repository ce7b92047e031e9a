// Keys in memory (issue 12 item 5): harden_process leaves no core file even where one would be
// written, take_secret_env wipes the variable, PrivateTempDir is private and goes away.
#include "lucid/base/process_hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "lucid/base/secret_env.h"
#include "lucid/base/temp_dir.h"
#include "testing/testing.h"

namespace lucid {
namespace {
namespace fs = std::filesystem;
using testing::ScratchDir;

std::string core_pattern() {
  std::ifstream in("/proc/sys/kernel/core_pattern");
  std::string line;
  std::getline(in, line);
  return line;
}

bool has_core_file(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().starts_with("core")) return true;
  return false;
}

// Forks a child that chdirs to `dir`, raises its core limit to the maximum, optionally hardens
// itself, and dies of `sig`. Returns its wait status.
int crash_child(const fs::path& dir, bool harden, int sig) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(90);
    rlimit lim{};
    ::getrlimit(RLIMIT_CORE, &lim);
    lim.rlim_cur = lim.rlim_max;  // `ulimit -c unlimited` as far as we are allowed
    ::setrlimit(RLIMIT_CORE, &lim);
    if (harden) {
      if (!harden_process()) ::_exit(91);
      if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) ::_exit(92);
      rlimit after{};
      ::getrlimit(RLIMIT_CORE, &after);
      if (after.rlim_cur != 0 || after.rlim_max != 0) ::_exit(93);
    }
    std::signal(sig, SIG_DFL);
    ::raise(sig);
    ::_exit(94);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(HardenProcess, NoCoreFileAfterSigsegvOrSigabrt) {
  for (int sig : {SIGSEGV, SIGABRT}) {
    ScratchDir dir;
    int status = crash_child(dir.path(), true, sig);
    ASSERT_FALSE(WIFEXITED(status)) << "the hardening checks failed in the child: exit "
                                    << WEXITSTATUS(status);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), sig);
    // WCOREDUMP is the kernel's own word that a core was dumped, whatever core_pattern says (a file
    // or a pipe to a handler).
    EXPECT_FALSE(WCOREDUMP(status)) << strsignal(sig);
    EXPECT_FALSE(has_core_file(dir.path())) << strsignal(sig);
  }
}

TEST(HardenProcess, TheSameCrashWithoutItDumpsCoreWhereTheMachineAllowsIt) {
  // The control: shows the check above can fail on this machine. A core is only written when
  // core_pattern names a file in the cwd ("core…") and the hard limit allows it.
  rlimit lim{};
  ::getrlimit(RLIMIT_CORE, &lim);
  if (core_pattern().rfind("core", 0) != 0 || lim.rlim_max == 0)
    GTEST_SKIP() << "core_pattern is '" << core_pattern() << "' and the hard core limit " << lim.rlim_max
                 << ": this machine would write no core file anyway, so no control is possible";
  ScratchDir dir;
  int status = crash_child(dir.path(), false, SIGSEGV);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(WCOREDUMP(status));
  EXPECT_TRUE(has_core_file(dir.path()));
}

TEST(TakeSecretEnv, ReturnsTheValueThenWipesAndUnsetsIt) {
  ::setenv("LUCID_TEST_KEY", "AGE-SECRET-KEY-1LUCIDTEST", 1);
  char* where = std::getenv("LUCID_TEST_KEY");  // glibc keeps setenv's strings for the process's life
  ASSERT_NE(where, nullptr);
  auto taken = take_secret_env("LUCID_TEST_KEY");
  ASSERT_TRUE(taken);
  EXPECT_EQ(*taken, "AGE-SECRET-KEY-1LUCIDTEST");
  EXPECT_EQ(std::getenv("LUCID_TEST_KEY"), nullptr);
  EXPECT_EQ(std::strlen(where), 0u) << "the old value is still in memory";
  EXPECT_FALSE(take_secret_env("LUCID_TEST_KEY"));
}

TEST(PrivateTempDir, IsEmptyPrivateAndRemoved) {
  fs::path path;
  {
    auto dir = PrivateTempDir::create("lucid-test-private-");
    ASSERT_TRUE(dir) << dir.error().message;
    path = dir->path();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_TRUE(fs::is_empty(path));
    std::ofstream(path / "left-behind") << "x";
  }
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace lucid
