// run_process beyond the basics (tests/base/subprocess_test.cc): a timeout stops the child's whole
// process group (SIGTERM, then SIGKILL after the grace), a descendant holding the output pipes
// cannot keep it waiting, and the child gets an allow-listed environment only (issue 12 items 4, 5).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "lucid/base/subprocess.h"
#include "testing/testing.h"

namespace lucid {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ScratchDir;

// Long enough for sh to start its background job even on a loaded machine.
constexpr auto kTimeout = 1000ms;

// Orphaned grandchildren are re-parented to this test process, so each test can reap them and
// see exactly how they died (instead of guessing from /proc while init may not reap them).
class RunProcessGroup : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0); }

  // The pid a shell wrote to `file` (its `$!`), waiting up to 5 s for it.
  static pid_t pid_from(const std::filesystem::path& file) {
    for (auto until = Clock::now() + 5s; Clock::now() < until; std::this_thread::sleep_for(10ms)) {
      std::ifstream in(file);
      pid_t pid = 0;
      if (in >> pid && pid > 0) return pid;
    }
    return -1;
  }

  // Waits up to `limit` for `pid` (our child by re-parenting) to end; its wait status, kReapedBySh,
  // or -1 when it is still there.
  static int reap(pid_t pid, std::chrono::milliseconds limit) {
    for (auto until = Clock::now() + limit; Clock::now() < until; std::this_thread::sleep_for(5ms)) {
      int status = 0;
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) return status;
      // Not our child and gone: it died while sh still ran, and dash's wait for its foreground job
      // (waitpid(-1)) reaped it before the group signal ended dash too. It ended; how is not known.
      if (w == -1 && errno == ECHILD && ::kill(pid, 0) == -1 && errno == ESRCH) return kReapedBySh;
    }
    return -1;
  }
  static constexpr int kReapedBySh = -2;
  // The signal that ended a reaped process, or `expected` when sh reaped it (nothing to compare).
  static int ended_by(int status, int expected) {
    if (status == kReapedBySh) return expected;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
};

TEST_F(RunProcessGroup, TimeoutEndsTheGrandchildToo) {
  ScratchDir dir;
  ProcessOptions o;
  o.argv = {"sh", "-c", "sleep 1000 & echo $! > " + (dir / "pid").string() + "; sleep 1000"};
  o.timeout = kTimeout;
  o.kill_grace =
      30s;  // so that an end before it shows SIGTERM did it (a loaded machine is slow, not 30 s slow)
  auto start = Clock::now();
  auto r = run_process(o);
  auto took = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
  EXPECT_LT(took, kTimeout + o.kill_grace)
      << "SIGTERM should end sh and sleep at once, well within the grace";
  pid_t grandchild = pid_from(dir / "pid");
  ASSERT_GT(grandchild, 0);
  int status = reap(grandchild, 10s);
  ASSERT_NE(status, -1) << "the grandchild sleep " << grandchild << " survived the timeout";
  EXPECT_EQ(ended_by(status, SIGTERM), SIGTERM) << "status " << status;
}

TEST_F(RunProcessGroup, SigtermIgnoredMeansSigkillAfterTheGrace) {
  ScratchDir dir;
  ProcessOptions o;
  // `trap "" TERM` makes sh and everything it starts ignore SIGTERM.
  o.argv = {"sh", "-c", "trap '' TERM; sleep 1000 & echo $! > " + (dir / "pid").string() + "; sleep 1000"};
  o.timeout = kTimeout;
  o.kill_grace = 500ms;
  auto start = Clock::now();
  auto r = run_process(o);
  auto took = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_GE(took, kTimeout + o.kill_grace) << "SIGKILL came before the grace was over";
  EXPECT_LT(took, kTimeout + o.kill_grace + 10s);  // bounded, not 1000 s (generous: loaded CI)
  pid_t grandchild = pid_from(dir / "pid");
  ASSERT_GT(grandchild, 0);
  int status = reap(grandchild, 10s);
  ASSERT_NE(status, -1) << "the grandchild ignoring SIGTERM survived";
  EXPECT_EQ(ended_by(status, SIGKILL), SIGKILL) << "status " << status;
}

TEST_F(RunProcessGroup, ChildThatExitedLeavingAGrandchildOnThePipeIsStopped) {
  // sh exits at once; its background sleep keeps stdout open, so the output never ends.
  ScratchDir dir;
  ProcessOptions o;
  o.argv = {"sh", "-c", "sleep 1000 & echo $! > " + (dir / "pid").string()};
  o.timeout = kTimeout;
  auto start = Clock::now();
  auto r = run_process(o);
  ASSERT_FALSE(r);
  EXPECT_LT(Clock::now() - start, kTimeout + 10s);  // bounded, not 1000 s (generous: loaded CI)
  pid_t grandchild = pid_from(dir / "pid");
  ASSERT_GT(grandchild, 0);
  EXPECT_NE(reap(grandchild, 10s), -1) << "the grandchild holding stdout survived";
}

TEST_F(RunProcessGroup, DescendantOutsideTheGroupDoesNotHoldUsAfterTheTimeout) {
  // setsid takes the grandchild out of the group (the group kill cannot reach it) while it keeps
  // stdout and stderr open: run_process must still return right after stopping its own child.
  ScratchDir dir;
  ProcessOptions o;
  o.argv = {"sh", "-c", "setsid sleep 1000 & echo $! > " + (dir / "pid").string() + "; sleep 1000"};
  o.timeout = kTimeout;
  auto start = Clock::now();
  auto r = run_process(o);
  auto took = Clock::now() - start;
  pid_t escaped = pid_from(dir / "pid");
  ASSERT_GT(escaped, 0);
  bool alive = ::kill(escaped, 0) == 0;
  ::kill(escaped, SIGKILL);
  reap(escaped, 2s);
  ASSERT_FALSE(r);
  EXPECT_LT(took, kTimeout + 10s);  // bounded, not 1000 s (generous: loaded CI)
  EXPECT_TRUE(alive) << "the setsid'd sleep should have been out of reach (the case is not exercised)";
}

// The NAME=value lines `env` prints in a child started with `o`.
std::string child_env(ProcessOptions o) {
  o.argv = {"env"};
  auto r = run_process(o);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? "\n" + r->out : "";
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

TEST(RunProcessEnvironment, OnlyAllowListedVariablesReachTheChild) {
  ScopedEnv key("AGE_PRIVATE_KEY", "AGE-SECRET-KEY-1LUCIDTESTVALUE");
  ScopedEnv sops("SOPS_AGE_KEY", "AGE-SECRET-KEY-1LUCIDTESTSOPS");
  ScopedEnv other("LUCID_TEST_UNLISTED", "unlisted-value");
  ScopedEnv git("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
  ScopedEnv locale("LC_TIME", "C.UTF-8");
  ScopedEnv compose("COMPOSE_PROFILES", "stray");
  std::string env = child_env({});
  EXPECT_NE(env.find("\nPATH="), std::string::npos);
  EXPECT_NE(env.find("\nGIT_SSH_COMMAND=ssh -o BatchMode=yes\n"), std::string::npos);
  EXPECT_NE(env.find("\nLC_TIME=C.UTF-8\n"), std::string::npos);
  EXPECT_EQ(env.find("LUCIDTEST"), std::string::npos) << env;
  EXPECT_EQ(env.find("LUCID_TEST_UNLISTED"), std::string::npos) << env;
  EXPECT_EQ(env.find("COMPOSE_PROFILES"), std::string::npos) << env;
}

TEST(RunProcessEnvironment, CallersAddNamesAndValuesButNeverKeys) {
  ScopedEnv key("AGE_PRIVATE_KEY", "AGE-SECRET-KEY-1LUCIDTESTVALUE");
  ScopedEnv other("LUCID_TEST_PASSED", "passed-value");
  ProcessOptions o;
  o.pass_env = {"LUCID_TEST_*", "AGE_PRIVATE_KEY"};
  o.set_env = {"LUCID_SET=one", "PATH=/usr/bin:/bin", "SOPS_AGE_KEY=AGE-SECRET-KEY-1LUCIDTESTSET"};
  std::string env = child_env(o);
  EXPECT_NE(env.find("\nLUCID_TEST_PASSED=passed-value\n"), std::string::npos) << env;
  EXPECT_NE(env.find("\nLUCID_SET=one\n"), std::string::npos) << env;
  EXPECT_NE(env.find("\nPATH=/usr/bin:/bin\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("\nPATH=", env.find("\nPATH=") + 1), std::string::npos) << "PATH twice: " << env;
  EXPECT_EQ(env.find("LUCIDTEST"), std::string::npos) << env;
}

}  // namespace
}  // namespace lucid
