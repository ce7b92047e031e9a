// env/sessions on deploy/ itself and on a copy of it with each mistake the rule exists for: clean as
// written, and each mistake reported on the line (or the snapshot file) that makes it.
#include <algorithm>
#include <fstream>
#include <optional>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "lucid/base/files.h"
#include "lucid/lint/lint.h"
#include "testing/testing.h"

namespace lucid::lint {
namespace {

namespace fs = std::filesystem;
using fleet::Finding;
using lucid::testing::ScratchDir;

constexpr const char* kRule = "env/sessions";
// The pin deploy/'s clusters give policies/privacy/standard.json.
constexpr const char* kStandardPin = "3134823a8c9dc16fd10b4eaef53fa7d327734e2b60c50c383bc117e40d6890c5";
// The demo node deploy/'s clusters admit.
constexpr const char* kDemoNode = "1dc1733a2ca7cdc89714f5051232f75dcf239ca4840431df64b815b7a2d1fc16";

std::vector<Finding> sessions_findings(const fs::path& repo) {
  std::vector<Finding> out;
  for (auto& f : lint_repo(repo))
    if (f.rule_id == kRule) out.push_back(std::move(f));
  return out;
}

std::string dump(const std::vector<Finding>& findings) {
  std::string s;
  for (const auto& f : findings) s += "  " + fleet::to_text(f) + "\n";
  return s;
}

class SessionsEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(fs::path(LUCID_SOURCE_DIR) / "deploy", repo(), fs::copy_options::recursive);
  }

  fs::path repo() const { return dir_.path() / "repo"; }
  fs::path env_path(const std::string& cluster) const { return repo() / "clusters" / cluster / ".env"; }
  std::string env_file(const std::string& cluster) const { return "clusters/" + cluster + "/.env"; }
  void write(const std::string& cluster, const std::string& text) const {
    std::ofstream(env_path(cluster)) << text;
  }
  // Sets KEY=value in the cluster's .env: replaces its line, or appends one.
  void set(const std::string& cluster, const std::string& key, const std::string& value) const {
    std::string env = read_text_file(env_path(cluster)).value();
    const std::regex line("^" + key + "=.*$", std::regex::multiline);
    if (std::regex_search(env, line))
      env = std::regex_replace(env, line, key + "=" + value);
    else
      env += key + "=" + value + "\n";
    write(cluster, env);
  }
  void remove(const std::string& cluster, const std::string& key) const {
    std::string env = read_text_file(env_path(cluster)).value();
    write(cluster, std::regex_replace(env, std::regex("^" + key + "=.*\n", std::regex::multiline), ""));
  }
  // The 1-based line of KEY= in the cluster's .env (0 when absent).
  int line_of(const std::string& cluster, const std::string& key) const {
    const std::string env = read_text_file(env_path(cluster)).value();
    int line = 1;
    for (std::size_t at = 0; at < env.size(); ++line) {
      const std::size_t end = std::min(env.find('\n', at), env.size());
      if (std::string_view(env).substr(at, end - at).starts_with(key + "=")) return line;
      at = end + 1;
    }
    return 0;
  }
  void write_snapshot(const std::string& name, const std::string& text) const {
    std::ofstream(repo() / "policies/privacy" / name) << text;
  }
  // The env/sessions finding in `file` whose message contains `text`, if any; each has a hint.
  std::optional<Finding> find(const std::string& file, const std::string& text) const {
    found_ = sessions_findings(repo());
    for (const auto& f : found_) {
      EXPECT_FALSE(f.hint.empty()) << fleet::to_text(f);
      // Findings name files relative to the repo (absolute ones are made so).
      const fs::path rel =
          fs::path(f.file).is_absolute() ? fs::path(f.file).lexically_relative(repo()) : fs::path(f.file);
      if (rel == fs::path(file) && f.message.find(text) != std::string::npos) return f;
    }
    return std::nullopt;
  }
  std::string all() const { return dump(found_); }

  ScratchDir dir_;
  mutable std::vector<Finding> found_;
};

TEST(LintSessionsEnv, DeployIsClean) {
  auto found = sessions_findings(fs::path(LUCID_SOURCE_DIR) / "deploy");
  EXPECT_TRUE(found.empty()) << dump(found);
}

TEST_F(SessionsEnv, ACopyOfDeployIsCleanAndPinsBySnapshotContentNotName) {
  // The copy the other cases edit is clean to begin with.
  auto found = sessions_findings(repo());
  EXPECT_TRUE(found.empty()) << dump(found);
  // A pin names a snapshot's content: renamed, the snapshot still satisfies it.
  fs::rename(repo() / "policies/privacy/standard.json", repo() / "policies/privacy/renamed.json");
  found = sessions_findings(repo());
  EXPECT_TRUE(found.empty()) << dump(found);
}

TEST_F(SessionsEnv, AMissingKeyOnASessionsClusterIsReportedOnItsEnv) {
  remove("core-sessions-1", "SESSIONS_TOKEN_SEED");
  set("canary-chain-1", "SESSIONS_NODE_KEYS", "");
  auto f = find(env_file("core-sessions-1"), "SESSIONS_TOKEN_SEED is missing");
  ASSERT_TRUE(f) << all();
  EXPECT_NE(f->message.find("cluster core-sessions-1 runs the sessions profile"), std::string::npos);
  EXPECT_EQ(f->line, 0) << "an absent key is a finding on the whole file";
  EXPECT_NE(f->hint.find("set SESSIONS_TOKEN_SEED"), std::string::npos) << f->hint;
  // Set but empty: reported on its line.
  f = find(env_file("canary-chain-1"), "SESSIONS_NODE_KEYS is missing");
  ASSERT_TRUE(f) << all();
  EXPECT_EQ(f->line, line_of("canary-chain-1", "SESSIONS_NODE_KEYS"));
  EXPECT_FALSE(find(env_file("canary-chain-1"), "SESSIONS_TOKEN_SEED")) << all();
}

TEST_F(SessionsEnv, AListThatNamesNothingIsReported) {
  set("core-sessions-1", "SESSIONS_POLICY_PINS", " , ");
  auto f = find(env_file("core-sessions-1"), "SESSIONS_POLICY_PINS lists nothing");
  ASSERT_TRUE(f) << all();
  EXPECT_EQ(f->line, line_of("core-sessions-1", "SESSIONS_POLICY_PINS"));
}

TEST_F(SessionsEnv, AMalformedNodeKeyIsReportedOnItsLine) {
  // Upper-case hex, and one digit short.
  set("core-sessions-1", "SESSIONS_NODE_KEYS",
      fmt::format("{},{}", std::string(64, 'A'), std::string(kDemoNode).substr(1)));
  auto upper = find(env_file("core-sessions-1"),
                    fmt::format("'{}' is not an Ed25519 public key", std::string(64, 'A')));
  ASSERT_TRUE(upper) << all();
  EXPECT_EQ(upper->line, line_of("core-sessions-1", "SESSIONS_NODE_KEYS"));
  EXPECT_TRUE(find(env_file("core-sessions-1"),
                   fmt::format("'{}' is not an Ed25519 public key", std::string(kDemoNode).substr(1))))
      << all();
  EXPECT_FALSE(find(env_file("canary-chain-1"), "SESSIONS_NODE_KEYS")) << all();
}

TEST_F(SessionsEnv, ANodeKeyNamedTwiceIsReported) {
  set("canary-chain-1", "SESSIONS_NODE_KEYS",
      fmt::format("{},{}, {}", kDemoNode, std::string(64, 'b'), kDemoNode));
  auto f = find(env_file("canary-chain-1"),
                fmt::format("SESSIONS_NODE_KEYS names {} twice", std::string(kDemoNode).substr(0, 16)));
  ASSERT_TRUE(f) << all();
  EXPECT_EQ(f->line, line_of("canary-chain-1", "SESSIONS_NODE_KEYS"));
  EXPECT_EQ(found_.size(), 1u) << all();
}

TEST_F(SessionsEnv, AMalformedPinIsReportedOnItsLine) {
  set("core-sessions-1", "SESSIONS_POLICY_PINS", fmt::format("{},blake3:{}", kStandardPin, kStandardPin));
  auto f = find(env_file("core-sessions-1"), "'blake3:3134823a8c9dc16f");
  ASSERT_TRUE(f) << all();
  EXPECT_NE(f->message.find("is not a policy pin (64 lowercase hex digits)"), std::string::npos)
      << f->message;
  EXPECT_EQ(f->line, line_of("core-sessions-1", "SESSIONS_POLICY_PINS"));
  EXPECT_EQ(found_.size(), 1u) << "the well-formed pin is the snapshot's:\n" << all();
}

TEST_F(SessionsEnv, APinWithNoSnapshotNamesThePinAndHowToMakeOne) {
  const std::string stray(64, 'e');
  set("canary-chain-1", "SESSIONS_POLICY_PINS", fmt::format("{},{}", kStandardPin, stray));
  auto f = find(env_file("canary-chain-1"), fmt::format("pin {}", stray.substr(0, 16)));
  ASSERT_TRUE(f) << all();
  EXPECT_NE(f->message.find("is not the pin of a snapshot in policies/privacy/"), std::string::npos)
      << f->message;
  EXPECT_EQ(f->line, line_of("canary-chain-1", "SESSIONS_POLICY_PINS"));
  EXPECT_NE(f->hint.find("policies/privacy/"), std::string::npos) << f->hint;
  EXPECT_NE(f->hint.find("lucid-sessions-gateway policy-hash FILE"), std::string::npos) << f->hint;
  EXPECT_EQ(found_.size(), 1u) << all();
}

TEST_F(SessionsEnv, AnEditedSnapshotNoLongerMatchesItsPin) {
  std::string policy = read_text_file(repo() / "policies/privacy/standard.json").value();
  policy = std::regex_replace(policy, std::regex("\"retention_days\": 30"), "\"retention_days\": 31");
  write_snapshot("standard.json", policy);
  EXPECT_TRUE(
      find(env_file("canary-chain-1"), fmt::format("pin {}", std::string(kStandardPin).substr(0, 16))))
      << all();
  EXPECT_TRUE(
      find(env_file("core-sessions-1"), fmt::format("pin {}", std::string(kStandardPin).substr(0, 16))))
      << all();
}

TEST_F(SessionsEnv, ASnapshotThatIsNotAJsonObjectIsReportedOnItsFile) {
  write_snapshot("broken.json", "{\"name\": \"half\",");
  write_snapshot("list.json", "[1, 2]");
  write_snapshot("fraction.json", "{\"retention_days\": 30.5}");
  write_snapshot("notes.txt", "not a snapshot: only *.json files are");
  auto broken = find("policies/privacy/broken.json",
                     "privacy policy snapshot: policies/privacy/broken.json is not JSON");
  ASSERT_TRUE(broken) << all();
  EXPECT_EQ(broken->line, 0);
  EXPECT_TRUE(find("policies/privacy/list.json", "policies/privacy/list.json is not a JSON object")) << all();
  auto fraction =
      find("policies/privacy/fraction.json", "policies/privacy/fraction.json: fractional numbers");
  ASSERT_TRUE(fraction) << all();
  EXPECT_EQ(fraction->message.find("mint request"), std::string::npos) << fraction->message;
  EXPECT_EQ(found_.size(), 3u) << "the other snapshot still satisfies the pins:\n" << all();
}

TEST_F(SessionsEnv, SessionsKeysOnAClusterWithoutTheProfileAreReported) {
  // core-chain-1 runs the blockchain profile only.
  std::ofstream(env_path("core-chain-1"), std::ios::app) << "SESSIONS_NODE_KEYS=" << kDemoNode << "\n";
  auto f = find(env_file("core-chain-1"),
                "SESSIONS_NODE_KEYS is set, but cluster core-chain-1 does not run the sessions profile");
  ASSERT_TRUE(f) << all();
  EXPECT_EQ(f->line, line_of("core-chain-1", "SESSIONS_NODE_KEYS"));
  EXPECT_NE(f->hint.find("add sessions to PROFILES"), std::string::npos) << f->hint;
  // and the sessions settings rule asks nothing else of it (no missing keys)
  EXPECT_EQ(found_.size(), 1u) << all();
}

TEST_F(SessionsEnv, TwoSitesWithOneTokenKeyAreReported) {
  set("core-sessions-1", "SESSIONS_TOKEN_SEED", "enc:sops:canary-chain-1.enc.yaml#sessions.token_seed");
  // Clusters are checked in clusters.yaml's order: canary-chain-1 first.
  auto f =
      find(env_file("core-sessions-1"),
           "SESSIONS_TOKEN_SEED is the same reference as cluster canary-chain-1's: two gateways, one key");
  ASSERT_TRUE(f) << all();
  EXPECT_EQ(f->line, line_of("core-sessions-1", "SESSIONS_TOKEN_SEED"));
  EXPECT_EQ(found_.size(), 1u) << all();
}

}  // namespace
}  // namespace lucid::lint
