// env/chain on deploy/ itself and on deploy/ grown to a core chain of three sites exactly as
// deploy/README.md "A chain across sites" describes it: clean as written, and each mistake the rule
// exists for is reported on the line that makes it.
#include <algorithm>
#include <fstream>
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

constexpr const char* kRule = "env/chain";
// Three validator keys (any 64 hex digits satisfy lint; the chain's own tests use real keys).
const std::string kValidators =
    fmt::format("{},{},{}", std::string(64, 'a'), std::string(64, 'b'), std::string(64, 'c'));
const std::string kMembers =
    "core-chain-1=http://beta:12381,core-chain-2=http://beta:12382,core-chain-3=http://beta:12383";
// Real v3 addresses (tor printed them), one per new site's chain plane; the tunnels need a pin.
const char* const kChainPins[] = {"ydyxjfay6agmkjayg72k443qmelhl2i6jtqd7z2vacecxpjphg5hy6qd.onion",
                                  "dnfpddjvweky26nbx5tgupiqpkz6sshqigpyu6pk4zptfvgdxdrabhad.onion",
                                  "va5js2qcedfr33xvxntbwsvhrnyv4ztrre6fjyd46anxlid2r2evgnid.onion"};

std::vector<Finding> chain_findings(const fs::path& repo) {
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

class ThreeSiteChain : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(fs::path(LUCID_SOURCE_DIR) / "deploy", repo(), fs::copy_options::recursive);
    std::ofstream clusters(repo() / "clusters/clusters.yaml", std::ios::app);
    for (int i = 2; i <= 3; ++i) {
      const std::string id = fmt::format("core-chain-{}", i);
      clusters << fmt::format("\n  - id: {}\n    wave: core\n    profiles: [blockchain]\n", id);
      fs::create_directories(repo() / "clusters" / id);
      // The site's .env is core-chain-1's with its own id and its own secrets file.
      std::string env = read_text_file(repo() / "clusters/core-chain-1/.env").value();
      env = std::regex_replace(env, std::regex("core-chain-1"), id);
      write(id, env);
      fs::copy_file(repo() / "secrets/core-chain-1.enc.yaml",
                    repo() / fmt::format("secrets/{}.enc.yaml", id));
    }
    std::string tunnels = "tunnels:\n";
    for (int at = 1; at <= 3; ++at) {
      const std::string id = fmt::format("core-chain-{}", at);
      set(id, "CHAIN_VALIDATORS", kValidators);
      set(id, "CHAIN_ETCD_CLUSTER", kMembers);
      set(id, "CHAIN_ETCD_PEER_URL", fmt::format("http://beta:1238{}", at));
      set(id, "CHAIN_ETCD_HEARTBEAT_MS", "1000");
      set(id, "CHAIN_ETCD_ELECTION_MS", "10000");
      set(id, "BETA_ONION_CHAIN", kChainPins[at - 1]);
      for (int to = 1; to <= 3; ++to)
        if (to != at)
          tunnels += fmt::format(
              "  - {{at: {}, plane: chain, listen: 1238{}, to: blockchain-etcd:2380@core-chain-{}}}\n", id,
              to, to);
    }
    std::ofstream(repo() / "policies/tunnels.yaml") << tunnels;
  }

  fs::path repo() const { return dir_.path() / "repo"; }
  fs::path env_path(const std::string& cluster) const { return repo() / "clusters" / cluster / ".env"; }
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
  // The env/chain findings, each as "<file> <message>".
  std::vector<std::string> findings() const {
    std::vector<std::string> out;
    for (const auto& f : chain_findings(repo())) {
      EXPECT_FALSE(f.hint.empty()) << fleet::to_text(f);
      // Findings name files relative to the repo (absolute ones are made so).
      const fs::path file =
          fs::path(f.file).is_absolute() ? fs::path(f.file).lexically_relative(repo()) : fs::path(f.file);
      out.push_back(fmt::format("{} {}", file.string(), f.message));
    }
    return out;
  }
  static bool any_contains(const std::vector<std::string>& found, const std::string& file,
                           const std::string& text) {
    return std::any_of(found.begin(), found.end(), [&](const std::string& f) {
      return f.starts_with(file + " ") && f.find(text) != std::string::npos;
    });
  }

  ScratchDir dir_;
};

TEST(LintChainEnv, DeployIsClean) {
  auto found = chain_findings(fs::path(LUCID_SOURCE_DIR) / "deploy");
  EXPECT_TRUE(found.empty()) << dump(found);
}

TEST_F(ThreeSiteChain, AsTheReadmeDescribesItIsClean) {
  auto found = chain_findings(repo());
  EXPECT_TRUE(found.empty()) << dump(found);
  // and nothing else in the repo objects to the tunnels, pins or keys either
  for (const auto& f : lint_repo(repo())) EXPECT_NE(f.severity, fleet::Severity::kError) << fleet::to_text(f);
}

TEST_F(ThreeSiteChain, AMissingTunnelNamesTheMemberItWouldReach) {
  std::ofstream(repo() / "policies/tunnels.yaml") << "tunnels:\n  - {at: core-chain-1, plane: chain, listen: "
                                                     "12382, to: blockchain-etcd:2380@core-chain-2}\n";
  auto found = findings();
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-1/.env",
                           "member core-chain-3 is at http://beta:12383, but no tunnel of core-chain-1"))
      << fmt::format("{}", fmt::join(found, "\n"));
  EXPECT_FALSE(any_contains(found, "clusters/core-chain-1/.env", "member core-chain-2"));
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-2/.env", "member core-chain-1"));
}

TEST_F(ThreeSiteChain, ASiteWithAnotherGenesisOrMemberListIsReported) {
  set("core-chain-3", "CHAIN_GENESIS_TIME_MS", "1796083200001");
  set("core-chain-2", "CHAIN_ETCD_CLUSTER", "core-chain-1=http://beta:12381,core-chain-2=http://beta:12382");
  auto found = findings();
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-3/.env", "CHAIN_GENESIS_TIME_MS differs from cluster"))
      << fmt::format("{}", fmt::join(found, "\n"));
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-2/.env", "CHAIN_ETCD_CLUSTER differs from cluster"));
}

TEST_F(ThreeSiteChain, TwoSitesWithOneValidatorKeyAreReported) {
  set("core-chain-2", "CHAIN_VALIDATOR_SEED", "enc:sops:core-chain-1.enc.yaml#chain.validator_seed");
  auto found = findings();
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-2/.env", "two validators, one key"))
      << fmt::format("{}", fmt::join(found, "\n"));
}

TEST_F(ThreeSiteChain, TheOwnMemberMustMatchTheAdvertisedUrl) {
  set("core-chain-1", "CHAIN_ETCD_PEER_URL", "http://blockchain-etcd:2380");
  auto found = findings();
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-1/.env",
                           "gives member core-chain-1 the URL http://beta:12381, but it advertises"))
      << fmt::format("{}", fmt::join(found, "\n"));
}

TEST_F(ThreeSiteChain, AMemberThatIsNoSiteOfTheChainIsReported) {
  // core-sessions-1 runs no blockchain profile; core-chain-3 moved to another chain.
  set("core-chain-3", "CHAIN_ID", "lucid-other");
  auto found = findings();
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-1/.env",
                           "names member core-chain-3, which is no blockchain cluster of chain lucid-core"))
      << fmt::format("{}", fmt::join(found, "\n"));
}

TEST_F(ThreeSiteChain, MissingAndMalformedSettingsAreReported) {
  remove("core-chain-2", "CHAIN_VALIDATOR_SEED");
  set("core-chain-3", "CHAIN_VALIDATORS", kValidators + ",XYZ");
  set("core-chain-1", "CHAIN_ETCD_ELECTION_MS", "2000");
  remove("core-chain-3", "CHAIN_ETCD_HEARTBEAT_MS");  // etcd's 100 ms then
  set("core-chain-3", "CHAIN_ETCD_ELECTION_MS", "300");
  auto found = findings();
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-2/.env", "CHAIN_VALIDATOR_SEED is missing"))
      << fmt::format("{}", fmt::join(found, "\n"));
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-3/.env", "'XYZ' is not an Ed25519 public key"));
  EXPECT_TRUE(any_contains(found, "clusters/core-chain-1/.env", "is below 5 x CHAIN_ETCD_HEARTBEAT_MS"));
  EXPECT_TRUE(
      any_contains(found, "clusters/core-chain-3/.env", "(300) is below 5 x CHAIN_ETCD_HEARTBEAT_MS (100)"));
}

TEST_F(ThreeSiteChain, ChainSettingsOutsideTheBlockchainProfileAreReported) {
  std::ofstream(env_path("core-sessions-1"), std::ios::app) << "CHAIN_ID=lucid-core\n";
  auto found = findings();
  EXPECT_TRUE(any_contains(found, "clusters/core-sessions-1/.env", "does not run the blockchain profile"))
      << fmt::format("{}", fmt::join(found, "\n"));
}

}  // namespace
}  // namespace lucid::lint
