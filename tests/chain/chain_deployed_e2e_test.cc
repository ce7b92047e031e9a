// The data chain as deployed (issue 14): three validators and three etcd members in their own images
// (`lucidctl build --stage 1`), started by the reconciler (`lucidctl reconcile --once`) from a signed
// config repo whose cluster runs the `blockchain` profile, health-gated on the images' healthchecks.
// Measured from outside through each validator's API on the chain network:
//  - anchors submitted to one validator are final on all three with one state root, and the anchor's
//    proof verifies against a root two of three signed;
//  - `docker kill` of one validator and one etcd member: anchoring goes on;
//  - a second of each killed: nothing more becomes final, and no validator halts (a stall, not a fork);
//  - `docker start` of all four: they catch up, and every validator holds one chain;
//  - `lucidctl accept`'s blockchain.consensus-stable passes, fails while blockchain-core is down;
//  - a tampered block put straight into etcd is refused by every validator container, which halts.
// Images are local (`--insecure-skip-image-verify`); image verification has its own suites.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chain_client.h"
#include "lucid/base/files.h"
#include "lucid/chain/ordering.h"
#include "lucid/engine/labels.h"
#include "lucid/version.h"
#include "reconcile/signed_config_repo.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace {

namespace lt = lucid::testing;
namespace tc = lucid::chain::test_client;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kMembers[] = {"a", "b", "c"};
constexpr int kCount = 3;

// The first validator is the service `blockchain-core` of deploy/'s profiles (the one `lucidctl accept`
// asks); the others are its peers on this one machine.
std::string core_service(int i) {
  return i == 0 ? "blockchain-core" : fmt::format("blockchain-core-{}", kMembers[i]);
}

std::string lucidctl() {
  return (lt::bin_dir() / "lucidctl").string();
}
std::string core_binary() {
  return (lt::bin_dir() / "lucid-blockchain-core").string();
}

// The stage 1 images, built once for the binary under a private prefix and removed after it.
struct Images {
  static inline std::string skip, prefix, core, etcd;
};

class ChainImagesEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::string why = lt::reconcile_e2e_skip_reason(); !why.empty()) {
      Images::skip = why;
      return;
    }
    if (::geteuid() != 0) {
      Images::skip = "needs root to give the validators' key files to the image's user (uid 10001)";
      return;
    }
    Images::prefix = fmt::format("lucid-chaindep{}", ::getpid());
    auto built = lt::run({lucidctl(), "build", "--stage", "1", "--images",
                          std::string(LUCID_SOURCE_DIR) + "/docker/images.yaml", "--bin-dir",
                          lt::bin_dir().string(), "--local-prefix", Images::prefix, "--json"});
    if (built.exit_code != 0) {
      Images::skip = "lucidctl build --stage 1 failed (run scripts/bootstrap): " + built.err;
      return;
    }
    Images::core = fmt::format("{}/blockchain-core:{}", Images::prefix, lucid::kLucidVersion);
    Images::etcd = fmt::format("{}/blockchain-etcd:{}", Images::prefix, lucid::kLucidVersion);
  }
  void TearDown() override {
    if (Images::prefix.empty()) return;
    for (const auto& image : {Images::core, Images::etcd})
      if (!image.empty()) lt::docker({"rmi", image});
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ChainImagesEnvironment);

class ChainDeployed : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Images::skip.empty()) GTEST_SKIP() << Images::skip;
    cluster_ = fmt::format("chaindep{}", ::getpid());
    project_ = lucid::engine::project_name(cluster_);
    repo_.emplace(dir_.path());
    // Each validator's key and the genesis, in a directory given to the validator alone (uid 10001).
    std::vector<std::string> genesis{
        core_binary(), "genesis", "--chain-id", "lucid-test",
        "--time-ms",   "1000",    "--out",      (dir_ / "genesis.json").string()};
    for (const char* member : kMembers) {
      const fs::path home = dir_ / fmt::format("validator-{}", member);
      fs::create_directories(home);
      auto made = lt::run({core_binary(), "keygen", "--out", (home / "validator.key").string()});
      ASSERT_EQ(made.exit_code, 0) << made.err;
      genesis.insert(genesis.end(), {"--validator", made.out.substr(0, 64)});
    }
    auto written = lt::run(genesis);
    ASSERT_EQ(written.exit_code, 0) << written.err;
    for (const char* member : kMembers) {
      const fs::path home = dir_ / fmt::format("validator-{}", member);
      fs::copy_file(dir_ / "genesis.json", home / "genesis.json");
      for (const auto& path :
           {home, home / "validator.key", home / "validator.key.pub", home / "genesis.json"})
        ASSERT_EQ(::chown(path.c_str(), 10001, 10001), 0) << path;
    }
  }
  void TearDown() override {
    if (!cluster_.empty()) lt::remove_project(project_);
  }

  // Three etcd members and three validators on the chain plane, as the blockchain profile runs them.
  std::string compose() const {
    std::string cluster_peers;
    for (const char* member : kMembers)
      cluster_peers +=
          fmt::format("{}etcd-{}=http://etcd-{}:2380", cluster_peers.empty() ? "" : ",", member, member);
    std::string services;
    for (int i = 0; i < kCount; ++i) {
      const char* member = kMembers[i];
      std::string endpoints = fmt::format("http://etcd-{}:2379", member);
      for (const char* other : kMembers)
        if (std::string_view(other) != member) endpoints += fmt::format(",http://etcd-{}:2379", other);
      services += fmt::format(R"(  etcd-{m}:
    image: {etcd}
    profiles: [blockchain]
    command: ["--name", "etcd-{m}", "--data-dir", "/var/lib/etcd/member", "--listen-client-urls", "http://0.0.0.0:2379",
              "--advertise-client-urls", "http://etcd-{m}:2379", "--listen-peer-urls", "http://0.0.0.0:2380",
              "--initial-advertise-peer-urls", "http://etcd-{m}:2380", "--initial-cluster", "{peers}",
              "--initial-cluster-state", "new", "--initial-cluster-token", "{project}",
              "--heartbeat-interval", "100", "--election-timeout", "1000"]
{hardened}    stop_grace_period: 3s
    labels:
      com.lucid.plane: chain
      com.lucid.service: etcd-{m}
    networks: [chain]
    volumes:
      - etcd-{m}-data:/var/lib/etcd
    healthcheck:
      test: ["CMD", "/usr/local/bin/lucid-blockchain-core", "health", "--url", "http://127.0.0.1:2379/health"]
      interval: 1s
      timeout: 5s
      retries: 5
      start_period: 20s
  {core_service}:
    image: {core}
    profiles: [blockchain]
{hardened}    stop_grace_period: 3s
    labels:
      com.lucid.plane: chain
      com.lucid.service: {core_service}
      com.lucid.expose: "7100"
    networks: [chain]
    expose: ["7100"]
    environment:
      CHAIN_ETCD: "{endpoints}"
      CHAIN_GENESIS: /etc/lucid/chain/genesis.json
      CHAIN_VALIDATOR_KEY: /etc/lucid/chain/validator.key
    volumes:
      - type: bind
        source: {home}
        target: /etc/lucid/chain
        read_only: true
    healthcheck:
      test: ["CMD", "/usr/local/bin/lucid-blockchain-core", "health"]
      interval: 1s
      timeout: 5s
      retries: 5
      start_period: 30s
)",
                              fmt::arg("m", member), fmt::arg("core_service", core_service(i)),
                              fmt::arg("etcd", Images::etcd), fmt::arg("core", Images::core),
                              fmt::arg("peers", cluster_peers), fmt::arg("project", project_),
                              fmt::arg("endpoints", endpoints), fmt::arg("hardened", lt::kHardenedService),
                              fmt::arg("home", (dir_ / fmt::format("validator-{}", member)).string()));
    }
    std::string volumes;
    for (const char* member : kMembers) volumes += fmt::format("  etcd-{}-data: {{}}\n", member);
    // Every plane network is declared (lint planes/internal); the chain's services use only theirs.
    return fmt::format(
        "networks:\n  ops: {{internal: true}}\n  wallet: {{internal: true}}\n"
        "  chain:\n    internal: true\n    labels:\n      com.lucid.plane: chain\n"
        "services:\n{}volumes:\n{}",
        services, volumes);
  }

  std::string push(const std::string& compose_text, const std::string& message) {
    return repo_->push(
        {{"infrastructure/compose/docker-compose.yml", compose_text},
         {"clusters/clusters.yaml",
          fmt::format("version: 1\nwaves:\n  - name: canary\n    ref: refs/heads/main\n"
                      "clusters:\n  - id: {}\n    wave: canary\n    profiles: [blockchain]\n",
                      cluster_)},
         {"policies/profiles.yaml",
          lucid::read_text_file(fs::path(LUCID_SOURCE_DIR) / "deploy/policies/profiles.yaml").value()},
         {"policies/privileged.yaml",
          lucid::read_text_file(fs::path(LUCID_SOURCE_DIR) / "deploy/policies/privileged.yaml").value()},
         {"clusters/" + cluster_ + "/.env", fmt::format("CLUSTER_ID={}\nPROFILES=blockchain\n", cluster_)}},
        message);
  }

  json reconcile() {
    auto r = lt::run({lucidctl(), "reconcile", "--once", "--json", "--repo", repo_->url(), "--cluster",
                      cluster_, "--branch", "main", "--state-dir", (dir_ / "state").string(),
                      "--allowed-signers", repo_->allowed_signers.string(), "--privileged-policy",
                      std::string(LUCID_SOURCE_DIR) + "/deploy/policies/privileged.yaml", "--health-timeout",
                      "120s", "--insecure-skip-image-verify"});
    std::printf("reconcile exit %d: %s%s\n", r.exit_code, r.out.c_str(), r.err.c_str());
    auto j = json::parse(r.out, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
  }

  std::string container(const std::string& service) const {
    auto r = lt::docker({"ps", "-aq", "--filter",
                         fmt::format("label={}={}", lucid::engine::kProjectLabel, project_), "--filter",
                         fmt::format("label={}={}", lucid::engine::kServiceLabel, service)});
    return r.out.substr(0, r.out.find('\n'));
  }

  // The service's address on the chain network (reachable from the host).
  std::string address(const std::string& service) const {
    auto ip = lt::docker(
        {"inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container(service)});
    return ip.out.substr(0, ip.out.find('\n'));
  }
  // The validator's API from the host.
  std::string base(int i) const { return fmt::format("http://{}:7100", address(core_service(i))); }

  std::string logs(int i) const {
    auto r = lt::docker({"logs", "--tail", "30", container(core_service(i))});
    return r.out + r.err;
  }

  // `lucidctl accept` on the site: the result of blockchain.consensus-stable.
  json consensus_check() {
    auto r = lt::run({lucidctl(), "accept", "--cluster", cluster_, "--state-dir", (dir_ / "state").string(),
                      "--json", "--no-write", "--consensus-window", "2", "--datagrams", "1", "--ban-grace-ms",
                      "0"});
    auto report = json::parse(r.out, nullptr, false);
    if (report.is_discarded()) return json{{"error", r.err}};
    for (const auto& check : report["checks"])
      if (check.value("id", "") == "blockchain.consensus-stable") return check;
    return json{{"error", "no blockchain.consensus-stable in " + r.out}};
  }

  lucid::chain::Transaction next_anchor(std::uint8_t session) {
    return tc::anchor_transaction(sender_, nonce_++, session);
  }

  lt::ScratchDir dir_;
  std::optional<lt::SignedConfigRepo> repo_;
  std::string cluster_, project_;
  lucid::crypto::Ed25519KeyPair sender_ = lucid::crypto::Ed25519KeyPair::generate();
  std::uint64_t nonce_ = 0;
};

TEST_F(ChainDeployed, ThreeValidatorsFinalizeLoseOneOfEachStallAtTwoAndCatchUp) {
  const auto t0 = std::chrono::steady_clock::now();
  auto phase = [&](const char* what) {
    std::printf("[%5.1f s] %s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), what);
  };
  const std::string commit = push(compose(), "a three-validator chain");
  auto pass = reconcile();
  ASSERT_EQ(pass.value("outcome", ""), "promoted") << pass.dump();
  ASSERT_EQ(pass.value("commit", ""), commit);
  phase("reconciled: six containers healthy");

  std::vector<std::string> bases;
  for (int i = 0; i < kCount; ++i) bases.push_back(base(i));

  // 1. Final on all three, one root, a proof two of three signed.
  std::vector<lucid::chain::Transaction> first;
  for (std::uint8_t s = 1; s <= 3; ++s) {
    first.push_back(next_anchor(s));
    ASSERT_EQ(tc::submit(bases[s % kCount], first.back()), 202) << bases[s % kCount];
  }
  for (int i = 0; i < kCount; ++i)
    for (const auto& tx : first)
      ASSERT_TRUE(lt::wait_until([&] { return tc::final_receipt(bases[i], tx).has_value(); }, 30s))
          << "not final on " << core_service(i) << ": " << tc::status(bases[i]).dump() << logs(i);
  tc::expect_one_chain(bases);
  tc::expect_proven_anchor(bases[2], 1, 2);
  phase("anchors final on all three");
  const json stable = consensus_check();
  EXPECT_EQ(stable.value("result", ""), "pass") << stable.dump();
  phase("accepted: blockchain.consensus-stable passes");

  // 2. One validator and one etcd member killed: the other two go on.
  lt::docker({"kill", container(core_service(0))});
  lt::docker({"kill", container("etcd-a")});
  std::vector<lucid::chain::Transaction> during;
  for (std::uint8_t s = 10; s < 13; ++s) {
    during.push_back(next_anchor(s));
    ASSERT_TRUE(lt::wait_until([&] { return tc::submit(bases[1 + s % 2], during.back()) == 202; }, 20s));
  }
  for (int i : {1, 2})
    for (const auto& tx : during)
      ASSERT_TRUE(lt::wait_until([&] { return tc::final_receipt(bases[i], tx).has_value(); }, 40s))
          << "not final on " << core_service(i) << " with one of each down: " << tc::status(bases[i]).dump()
          << logs(i);
  tc::expect_one_chain({bases[1], bases[2]});
  phase("one of each down: anchoring goes on");
  const json gone = consensus_check();
  EXPECT_EQ(gone.value("result", ""), "fail") << gone.dump();
  EXPECT_NE(gone.value("evidence", "").find("not running"), std::string::npos) << gone.dump();

  // 3. A second of each killed: nothing more is final, and the survivor does not halt.
  lt::docker({"kill", container(core_service(1))});
  lt::docker({"kill", container("etcd-b")});
  const json before = tc::status(bases[2]);
  auto stalled = next_anchor(20);
  (void)tc::submit(bases[2], stalled);  // refused (no etcd quorum) or queued: either way not final
  std::this_thread::sleep_for(5s);
  const json after = tc::status(bases[2]);
  EXPECT_EQ(after["final_height"], before["final_height"]) << after.dump();
  EXPECT_FALSE(tc::final_receipt(bases[2], stalled).has_value());
  EXPECT_FALSE(after.value("halted", true)) << "a stall is not an incident";
  phase("two of each down: stalled, no incident");

  // 4. All four started again: they catch up and agree; the stalled anchor becomes final everywhere.
  for (const std::string& service :
       {std::string("etcd-a"), std::string("etcd-b"), core_service(0), core_service(1)})
    lt::docker({"start", container(service)});
  for (int i = 0; i < kCount; ++i) bases[i] = base(i);  // a restarted container may get another address
  ASSERT_TRUE(lt::wait_until(
      [&] {
        return tc::submit(bases[2], stalled) == 202 || tc::final_receipt(bases[2], stalled).has_value();
      },
      40s));
  for (int i = 0; i < kCount; ++i)
    ASSERT_TRUE(lt::wait_until([&] { return tc::final_receipt(bases[i], stalled).has_value(); }, 60s))
        << core_service(i) << " did not catch up: " << tc::status(bases[i]).dump() << logs(i);
  ASSERT_TRUE(lt::wait_until(
      [&] {
        const json a = tc::status(bases[0]), b = tc::status(bases[1]), c = tc::status(bases[2]);
        return a["height"] == b["height"] && b["height"] == c["height"] && a["state_root"] == c["state_root"];
      },
      30s));
  tc::expect_one_chain(bases);
  for (int i = 0; i < kCount; ++i)
    EXPECT_TRUE(lt::wait_until([&] { return tc::healthy(bases[i]); }, 20s)) << core_service(i);
  phase("restarted: caught up, one chain");
  const json again = consensus_check();
  EXPECT_EQ(again.value("result", ""), "pass") << again.dump();

  // 5. A tampered block put straight into the deployed etcd is refused by every validator container.
  std::vector<std::string> etcd_urls;
  for (const char* member : kMembers)
    etcd_urls.push_back(fmt::format("http://{}:2379", address(fmt::format("etcd-{}", member))));
  tc::expect_tampered_block_refused(etcd_urls, lucid::chain::default_key_prefix("lucid-test"), bases,
                                    next_anchor(40));
  phase("a tampered block: refused by all three, halted, health red");
}

}  // namespace
