// lucid::run_process: argv without a shell, stdin bytes, captured streams, exit codes, timeouts.
#include <gtest/gtest.h>

#include <chrono>

#include "lucid/base/subprocess.h"

namespace lucid {
namespace {

ProcessOptions opts(std::vector<std::string> argv) {
  ProcessOptions o;
  o.argv = std::move(argv);
  return o;
}

TEST(RunProcess, CapturesStdoutStderrAndExitCode) {
  auto r = run_process(opts({"sh", "-c", "echo out; echo err >&2; exit 3"}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(RunProcess, ArgumentsAreNotInterpretedByAShell) {
  auto r = run_process(opts({"printf", "%s|", "a b", "$HOME", "*"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "a b|$HOME|*|");
}

TEST(RunProcess, FeedsLargeStdinWhileReadingLargeStdout) {
  ProcessOptions o = opts({"cat"});
  o.stdin_bytes = std::string(3 << 20, 'x');  // far beyond a pipe buffer both ways
  auto r = run_process(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), o.stdin_bytes->size());
}

TEST(RunProcess, ChildThatStopsReadingDoesNotKillUs) {
  ProcessOptions o = opts({"head", "-c", "1"});
  o.stdin_bytes = std::string(1 << 20, 'y');
  auto r = run_process(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "y");
}

TEST(RunProcess, TimeoutKillsTheChild) {
  ProcessOptions o = opts({"sleep", "10"});
  o.timeout = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  auto r = run_process(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RunProcess, MissingProgramIsNotFound) {
  auto r = run_process(opts({"lucid-no-such-program-xyz"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(r.error().message.find("lucid-no-such-program-xyz"), std::string::npos);
}

TEST(RunProcess, WorkingDirectory) {
  ProcessOptions o = opts({"pwd"});
  o.cwd = "/";
  auto r = run_process(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "/\n");
}

}  // namespace
}  // namespace lucid
