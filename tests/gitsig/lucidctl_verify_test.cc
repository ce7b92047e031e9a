// `lucidctl verify --commit` as a program: text and JSON verdicts, exit codes 0/1/2, and --cluster's
// usage error without a registry (the cluster mode itself: tests/build/build_e2e_test.cc).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "gitsig/ssh_tools.h"

namespace lucid::gitsig {
namespace {

namespace tt = testing_tools;
namespace fs = std::filesystem;
using lucid::testing::run;
using lucid::testing::ScratchDir;

class LucidctlVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = tt::missing_tools(); !why.empty()) GTEST_SKIP() << why;
    repo_ = dir_ / "repo";
    tt::init_repo(repo_);
    alice_ = tt::make_key(dir_.path(), "alice", "ed25519");
    mallory_ = tt::make_key(dir_.path(), "mallory", "ecdsa", 256);
    allowed_ = dir_ / "allowed_signers";
    std::ofstream(allowed_) << "alice@example.test namespaces=\"git\" " << alice_.public_text << "\n";
  }
  lucid::testing::RunResult lucidctl(std::vector<std::string> args) {
    args.insert(args.begin(), (lucid::testing::bin_dir() / "lucidctl").string());
    return run(args);
  }
  ScratchDir dir_;
  fs::path repo_, allowed_;
  tt::TestKey alice_, mallory_;
};

TEST_F(LucidctlVerify, AcceptedNamesCommitSignerAndFingerprint) {
  std::string c = tt::commit(repo_, "signed", &alice_);
  auto r = lucidctl({"verify", "--commit", "HEAD", repo_.string(), "--allowed-signers", allowed_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("commit " + c + ": accepted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("alice@example.test"), std::string::npos);
  EXPECT_NE(r.out.find(alice_.fingerprint), std::string::npos);

  auto j =
      lucidctl({"verify", "--commit", c, repo_.string(), "--allowed-signers", allowed_.string(), "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["commit"], c);
  EXPECT_EQ(doc["accepted"], true);
  EXPECT_EQ(doc["principals"], "alice@example.test");
  EXPECT_EQ(doc["fingerprint"], alice_.fingerprint);
}

TEST_F(LucidctlVerify, RefusalsExitOneWithAReason) {
  tt::commit(repo_, "unsigned", nullptr);
  auto u = lucidctl(
      {"verify", "--commit", "HEAD", repo_.string(), "--allowed-signers", allowed_.string(), "--json"});
  EXPECT_EQ(u.exit_code, 1);
  auto doc = nlohmann::json::parse(u.out);
  EXPECT_EQ(doc["accepted"], false);
  EXPECT_EQ(doc["refusal"], "unsigned");

  tt::commit(repo_, "by mallory", &mallory_);
  auto m = lucidctl({"verify", "--commit", "HEAD", repo_.string(), "--allowed-signers", allowed_.string()});
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_NE(m.out.find("refused: signer key ecdsa-sha2-nistp256 " + mallory_.fingerprint), std::string::npos)
      << m.out;
}

TEST_F(LucidctlVerify, UsageAndInputErrorsExitTwoWithNothingOnStdout) {
  tt::commit(repo_, "signed", &alice_);
  std::vector<std::vector<std::string>> cases = {
      {"verify", "--commit", "HEAD", repo_.string()},  // no trust root
      {"verify", "--commit", "HEAD", repo_.string(), "--allowed-signers", allowed_.string(),
       "--trusted-commit", "HEAD"},
      {"verify", repo_.string(), "--allowed-signers", allowed_.string()},  // neither --commit nor --cluster
      {"verify", "--cluster", "site-a"},                                   // no --registry
      {"verify", "--commit", "nope", repo_.string(), "--allowed-signers", allowed_.string()},
      {"verify", "--commit", "HEAD", (dir_ / "missing").string(), "--allowed-signers", allowed_.string()},
      {"verify", "--commit", "HEAD", repo_.string(), "--allowed-signers", (dir_ / "missing").string()},
  };
  for (const auto& args : cases) {
    auto r = lucidctl(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_EQ(r.out, "") << args.back();
    EXPECT_FALSE(r.err.empty());
  }
  auto cluster = lucidctl({"verify", "--cluster", "site-a"});
  EXPECT_NE(cluster.err.find("--registry"), std::string::npos) << cluster.err;
  std::ofstream(allowed_) << "# header\n\nalice@example.test bogus-option " << alice_.public_text << "\n";
  auto bad = lucidctl({"verify", "--commit", "HEAD", repo_.string(), "--allowed-signers", allowed_.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(allowed_.string() + ":3:"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace lucid::gitsig
