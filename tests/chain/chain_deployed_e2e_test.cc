// The data chain as deployed (issue 14): three validators and three etcd members, and the chain's four
// other services (ledger, virtual machine, sessions-data, governances), each in its own image
// (`lucidctl build --stage 1`), started by the reconciler (`lucidctl reconcile --once`) from a signed
// config repo whose cluster runs the `blockchain` profile, health-gated on the images' healthchecks.
// The genesis and the keys' seeds reach the containers as a cluster's .env gives them: in the
// environment (CHAIN_ID, CHAIN_VALIDATORS, CHAIN_GENESIS_TIME_MS, CHAIN_VALIDATOR_SEED,
// CHAIN_EXECUTOR_SEED), no file mounted. Measured from outside through the services' APIs on the chain
// network:
//  - anchors submitted to one validator are final on all three with one state root, and the anchor's
//    proof verifies against a root two of three signed;
//  - the other services follow: the ledger archives the blocks as the validators serve them, the VM
//    reads the anchor at the same final height, sessions-data lists it, governances is healthy;
//  - `lucidctl accept` runs the blockchain profile's three checks, and all pass;
//  - `docker kill` of one validator and one etcd member: anchoring goes on;
//  - a second of each killed: nothing more becomes final, and no validator halts (a stall, not a fork);
//  - `docker start` of all four: they catch up, and every validator holds one chain;
//  - `lucidctl accept`'s blockchain.consensus-stable passes, fails while blockchain-core is down;
//  - a tampered block put straight into etcd is refused by every validator container, which halts.
// And deploy/ itself (CanaryFromDeploy): its canary cluster, rendered from deploy/'s compose file, the
// cluster's .env and its SOPS secrets (decrypted by the reconciler with the site's age key), runs the
// canary chain — etcd member, validator and the four services — with the keys the secrets hold.
// Images are local (`--insecure-skip-image-verify`); image verification has its own suites.
#include <grp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chain_client.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/http_client.h"
#include "lucid/base/json_fields.h"
#include "lucid/chain/ordering.h"
#include "lucid/engine/labels.h"
#include "lucid/jwt/jwk.h"
#include "lucid/jwt/jwt.h"
#include "lucid/seal/keys.h"
#include "lucid/sessions/mint_request.h"
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

// One `lucidctl reconcile --once --json` pass of `cluster` from `repo`; its JSON report (null when it
// printed none).
json reconcile_once(const lt::SignedConfigRepo& repo, const std::string& cluster, const fs::path& state_dir,
                    const std::string& health_timeout) {
  auto r = lt::run({lucidctl(), "reconcile", "--once", "--json", "--repo", repo.url(), "--cluster", cluster,
                    "--branch", "main", "--state-dir", state_dir.string(), "--allowed-signers",
                    repo.allowed_signers.string(), "--privileged-policy",
                    std::string(LUCID_SOURCE_DIR) + "/deploy/policies/privileged.yaml", "--health-timeout",
                    health_timeout, "--insecure-skip-image-verify"});
  std::printf("reconcile exit %d: %s%s\n", r.exit_code, r.out.c_str(), r.err.c_str());
  auto j = json::parse(r.out, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

// The container of `service` in compose project `project` ("" when there is none).
std::string container_of(const std::string& project, const std::string& service) {
  auto r =
      lt::docker({"ps", "-aq", "--filter", fmt::format("label={}={}", lucid::engine::kProjectLabel, project),
                  "--filter", fmt::format("label={}={}", lucid::engine::kServiceLabel, service)});
  return r.out.substr(0, r.out.find('\n'));
}

// The stage 1 images, built once for the binary under a private prefix and removed after it.
struct Images {
  static inline std::string skip, prefix;
  static inline std::vector<std::string> built;  // local tags, removed at the end
  static std::string of(const std::string& name) {
    return fmt::format("{}/{}:{}", prefix, name, lucid::kLucidVersion);
  }
};

class ChainImagesEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::string why = lt::reconcile_e2e_skip_reason(); !why.empty()) {
      Images::skip = why;
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
    auto report = json::parse(built.out, nullptr, false);
    if (!report.is_discarded())
      for (const auto& image : report["images"]) Images::built.push_back(image.value("local_tag", ""));
    // beta (stage 0), which deploy/'s compose file runs beside the chain.
    auto beta = lt::run({lucidctl(), "build", "--stage", "0", "--images",
                         std::string(LUCID_SOURCE_DIR) + "/docker/images.yaml", "--bin-dir",
                         lt::bin_dir().string(), "--local-prefix", Images::prefix, "--json"});
    if (beta.exit_code != 0) {
      Images::skip = "lucidctl build --stage 0 failed (run scripts/bootstrap): " + beta.err;
      return;
    }
    Images::built.push_back(Images::of("beta"));
    // sessions-gateway (stage 2), which deploy/'s canary runs beside the chain (CanaryFromDeploy).
    auto sessions = lt::run({lucidctl(), "build", "--stage", "2", "--images",
                             std::string(LUCID_SOURCE_DIR) + "/docker/images.yaml", "--bin-dir",
                             lt::bin_dir().string(), "--local-prefix", Images::prefix, "--json"});
    if (sessions.exit_code != 0) {
      Images::skip = "lucidctl build --stage 2 failed (run scripts/bootstrap): " + sessions.err;
      return;
    }
    Images::built.push_back(Images::of("sessions-gateway"));
  }
  void TearDown() override {
    for (const auto& image : Images::built)
      if (!image.empty()) lt::docker({"rmi", "-f", image});
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
    // The validators' keys, made here; the genesis is spelled out in every service's environment.
    for (int i = 0; i < kCount; ++i) {
      validators_.push_back(lucid::crypto::Ed25519KeyPair::generate());
      validator_list_ +=
          fmt::format("{}{}", i == 0 ? "" : ",", lucid::to_hex(validators_.back().public_key()));
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
      services += fmt::format(
          R"(  etcd-{m}:
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
{genesis}      CHAIN_VALIDATOR_SEED: "{seed}"
    healthcheck:
      test: ["CMD", "/usr/local/bin/lucid-blockchain-core", "health"]
      interval: 1s
      timeout: 5s
      retries: 5
      start_period: 30s
)",
          fmt::arg("m", member), fmt::arg("core_service", core_service(i)),
          fmt::arg("etcd", Images::of("blockchain-etcd")), fmt::arg("core", Images::of("blockchain-core")),
          fmt::arg("peers", cluster_peers), fmt::arg("project", project_), fmt::arg("endpoints", endpoints),
          fmt::arg("hardened", lt::kHardenedService), fmt::arg("genesis", genesis_env()),
          fmt::arg("seed", lucid::to_hex(validators_[i].seed().span())));
    }
    services += chain_services();
    std::string volumes;
    for (const char* member : kMembers) volumes += fmt::format("  etcd-{}-data: {{}}\n", member);
    volumes += "  ledger-data: {}\n  sessions-data: {}\n";
    // Every plane network is declared (lint planes/internal); the chain's services use only theirs.
    return fmt::format(
        "networks:\n  ops: {{internal: true}}\n  wallet: {{internal: true}}\n"
        "  chain:\n    internal: true\n    labels:\n      com.lucid.plane: chain\n"
        "services:\n{}volumes:\n{}",
        services, volumes);
  }

  // The genesis as a cluster's .env gives it (compose environment lines).
  std::string genesis_env() const {
    return fmt::format(
        "      CHAIN_ID: lucid-test\n      CHAIN_VALIDATORS: \"{}\"\n      CHAIN_GENESIS_TIME_MS: \"1000\"\n",
        validator_list_);
  }

  // blockchain-ledger, -virtual-machine, -sessions-data and -governances, as the profile runs them.
  std::string chain_services() const {
    const std::string etcd = "http://etcd-a:2379,http://etcd-b:2379,http://etcd-c:2379";
    const std::string cores =
        "http://blockchain-core:7100,http://blockchain-core-b:7100,http://blockchain-core-c:7100";
    struct Service {
      std::string name, environment, volume;
    };
    const std::vector<Service> chain = {
        {"blockchain-ledger", fmt::format("      CHAIN_ETCD: \"{}\"\n{}", etcd, genesis_env()),
         "ledger-data:/var/lib/lucid"},
        {"blockchain-virtual-machine", fmt::format("      CHAIN_ETCD: \"{}\"\n{}", etcd, genesis_env()), ""},
        {"blockchain-sessions-data", fmt::format("      CHAIN_CORE: \"{}\"\n", cores),
         "sessions-data:/var/lib/lucid"},
        {"blockchain-governances",
         fmt::format(
             "      CHAIN_ETCD: \"{}\"\n      CHAIN_CORE: \"{}\"\n      CHAIN_EXECUTOR_SEED: \"{}\"\n{}",
             etcd, cores, lucid::to_hex(executor_.seed().span()), genesis_env()),
         ""},
    };
    std::string out;
    for (const Service& service : chain)
      out += fmt::format(
          R"(  {name}:
    image: {image}
    profiles: [blockchain]
{hardened}    stop_grace_period: 3s
    labels:
      com.lucid.plane: chain
      com.lucid.service: {name}
      com.lucid.expose: "8080"
    networks: [chain]
    expose: ["8080"]
    environment:
{environment}{volumes}    healthcheck:
      test: ["CMD", "/usr/local/bin/lucid-{name}", "health"]
      interval: 1s
      timeout: 5s
      retries: 5
      start_period: 30s
)",
          fmt::arg("name", service.name), fmt::arg("image", Images::of(service.name)),
          fmt::arg("hardened", lt::kHardenedService), fmt::arg("environment", service.environment),
          fmt::arg("volumes", service.volume.empty()
                                  ? std::string()
                                  : fmt::format("    volumes:\n      - {}\n", service.volume)));
    return out;
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

  json reconcile() { return reconcile_once(*repo_, cluster_, dir_ / "state", "120s"); }

  std::string container(const std::string& service) const { return container_of(project_, service); }

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

  // `lucidctl accept` on the site: its checks by id.
  std::map<std::string, json> accept() {
    auto r = lt::run({lucidctl(), "accept", "--cluster", cluster_, "--state-dir", (dir_ / "state").string(),
                      "--json", "--no-write", "--consensus-window", "2", "--datagrams", "1", "--ban-grace-ms",
                      "0"});
    std::map<std::string, json> checks;
    auto report = json::parse(r.out, nullptr, false);
    if (report.is_discarded()) return {{"error", json{{"error", r.err}}}};
    for (const auto& check : report["checks"]) checks[check.value("id", "")] = check;
    return checks;
  }
  json consensus_check() {
    auto checks = accept();
    auto found = checks.find("blockchain.consensus-stable");
    return found != checks.end() ? found->second : json{{"error", "no blockchain.consensus-stable"}};
  }
  // A service's API from the host (on the chain network).
  std::string service_url(const std::string& service, const std::string& path) const {
    return fmt::format("http://{}:8080{}", address(service), path);
  }

  lucid::chain::Transaction next_anchor(std::uint8_t session) {
    return tc::anchor_transaction(sender_, nonce_++, session);
  }

  lt::ScratchDir dir_;
  std::optional<lt::SignedConfigRepo> repo_;
  std::string cluster_, project_;
  lucid::crypto::Ed25519KeyPair sender_ = lucid::crypto::Ed25519KeyPair::generate();
  lucid::crypto::Ed25519KeyPair executor_ = lucid::crypto::Ed25519KeyPair::generate();
  std::vector<lucid::crypto::Ed25519KeyPair> validators_;
  std::string validator_list_;  // their public keys, hex, comma-separated
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
  // The other services follow the same chain.
  const std::uint64_t final_height = tc::status(bases[0]).value("final_height", 0ULL);
  ASSERT_TRUE(lt::wait_until(
      [&] {
        auto s = tc::get_json(service_url("blockchain-ledger", "/v1/status"));
        return s && s->value("archived_height", 0ULL) >= final_height;
      },
      30s))
      << tc::get_json(service_url("blockchain-ledger", "/v1/status")).value_or(json()).dump();
  for (std::uint64_t h = 1; h <= final_height; ++h) {
    auto archived = tc::get_json(service_url("blockchain-ledger", fmt::format("/v1/blocks/{}", h)));
    auto served = tc::get_json(fmt::format("{}/v1/blocks/{}", bases[1], h));
    ASSERT_TRUE(archived && served) << h;
    EXPECT_EQ((*archived)["hash"], (*served)["hash"]) << h;
  }
  const std::string session = lucid::to_hex(std::vector<std::uint8_t>(16, 1));  // anchor_transaction's id
  json call{{"contract", "AnchorRegistry"},
            {"function", "getAnchor"},
            {"arguments", json::array({"0x" + session})}};
  ASSERT_TRUE(lt::wait_until(
      [&] {
        auto answer = lt::run({"curl", "-sf", "-X", "POST", "-H", "Content-Type: application/json", "--data",
                               call.dump(), service_url("blockchain-virtual-machine", "/v1/call")});
        auto j = json::parse(answer.out, nullptr, false);
        return answer.exit_code == 0 && !j.is_discarded() &&
               j["outputs"].value("merkleRoot", "") == "0x" + lucid::to_hex(std::vector<std::uint8_t>(32, 1));
      },
      30s))
      << "the VM does not read the anchor";
  ASSERT_TRUE(lt::wait_until(
      [&] {
        return tc::get_json(service_url("blockchain-sessions-data", "/v1/sessions/" + session)).has_value();
      },
      30s))
      << tc::get_json(service_url("blockchain-sessions-data", "/v1/status")).value_or(json()).dump();
  auto indexed = tc::get_json(service_url("blockchain-sessions-data", "/v1/sessions/" + session));
  ASSERT_TRUE(indexed.has_value());
  EXPECT_EQ(indexed->value("owner", ""), lucid::to_hex(std::vector<std::uint8_t>(32, 0xee)));
  EXPECT_EQ(indexed->value("merkle_root", ""), lucid::to_hex(std::vector<std::uint8_t>(32, 1)));
  auto params = tc::get_json(service_url("blockchain-governances", "/v1/params"));
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ((*params)["params"].size(), 4u);
  phase("ledger, VM, sessions-data and governances follow the chain");

  auto checks = accept();
  for (const char* id :
       {"blockchain.consensus-stable", "blockchain.vm-abi-tests", "blockchain.sessions-data-caught-up"})
    EXPECT_EQ(checks[id].value("result", ""), "pass") << id << ": " << checks[id].dump();
  phase("accepted: the blockchain profile's three checks pass");

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

// deploy/ as an operator's fork runs it, on the canary site: the repo's own compose file, the
// canary's .env and its SOPS secrets, reconciled with the site's demo age key. What the test changes
// is what this machine needs and nothing of the chain's configuration: images are the ones just
// built (deploy/ pins a registry's digests), beta runs with tor's network disabled and scoped to the
// test's project (as in examples/demo), the egress network is internal (no traffic leaves this
// machine), health is probed every 2 s instead of 10-30 s, the cluster has a name of its own, and of
// the sessions profile it runs sessions-gateway only: sessions-manifests and sessions-index have no
// programs yet (issue 15), so they leave the copy with their profile entries and ACL links.
class CanaryFromDeploy : public ::testing::Test {
 protected:
  static constexpr const char* kDeployCluster = "canary-chain-1";

  void SetUp() override {
    if (!Images::skip.empty()) GTEST_SKIP() << Images::skip;
    cluster_ = fmt::format("canarydep{}", ::getpid());
    project_ = lucid::engine::project_name(cluster_);
    repo_.emplace(dir_.path());
  }
  void TearDown() override {
    if (!cluster_.empty()) lt::remove_project(project_);
  }

  // deploy/'s files, changed only as the class comment says.
  std::vector<std::pair<std::string, std::string>> files() const {
    const fs::path deploy = fs::path(LUCID_SOURCE_DIR) / "deploy";
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& entry : fs::recursive_directory_iterator(deploy)) {
      if (!entry.is_regular_file()) continue;
      std::string path = fs::relative(entry.path(), deploy).string();
      // The test repo's signer replaces deploy/'s (its commits are signed with the test's key).
      if (path == "policies/allowed_signers") continue;
      std::string text = lucid::read_text_file(entry.path()).value();
      if (path == "infrastructure/compose/docker-compose.yml") text = compose(text);
      if (path == "policies/profiles.yaml" || path == "policies/acl.yaml") text = without_unbuilt(text);
      if (path == "clusters/clusters.yaml" ||
          path.starts_with("clusters/" + std::string(kDeployCluster) + "/"))
        text = std::regex_replace(text, std::regex(kDeployCluster), cluster_);
      if (path.starts_with("clusters/" + std::string(kDeployCluster) + "/")) {
        const auto* docker_group = ::getgrnam("docker");
        text += fmt::format("DOCKER_GID={}\n", docker_group ? docker_group->gr_gid : 999);
        path = std::regex_replace(path, std::regex(kDeployCluster), cluster_);
      }
      // The renamed .env references its secrets file by the cluster's new name too.
      if (path == fmt::format("secrets/{}.enc.yaml", kDeployCluster))
        out.emplace_back(fmt::format("secrets/{}.enc.yaml", cluster_), text);
      out.emplace_back(path, std::move(text));
    }
    return out;
  }

  // profiles.yaml and acl.yaml without sessions-manifests and sessions-index: their list entries and
  // the links from them.
  static std::string without_unbuilt(std::string text) {
    for (const char* name : {"sessions-manifests", "sessions-index"}) {
      const std::string before = text;
      text = std::regex_replace(text, std::regex(fmt::format("\n      - {}\n", name)), "\n");
      text = std::regex_replace(text, std::regex(fmt::format("\n  - from: {}\n(    [^\n]*\n)*", name)), "\n");
      EXPECT_NE(text, before) << "deploy/'s policies no longer name " << name;
    }
    return text;
  }

  std::string compose(std::string text) const {
    for (const char* name :
         {"beta", "blockchain-etcd", "blockchain-core", "blockchain-ledger", "blockchain-virtual-machine",
          "blockchain-sessions-data", "blockchain-governances", "sessions-gateway"}) {
      const std::regex pinned(
          fmt::format("image: registry\\.lucid\\.local:5000/lucid/{}@sha256:[0-9a-f]{{64}}", name));
      EXPECT_TRUE(std::regex_search(text, pinned)) << "deploy/'s compose file pins no " << name;
      text = std::regex_replace(text, pinned, "image: " + Images::of(name));
    }
    // The two services of the sessions profile that have no program yet.
    const auto manifests = text.find("\n  sessions-manifests:\n");
    const auto stage3 = text.find("\n  # ====", manifests);
    EXPECT_TRUE(manifests != std::string::npos && stage3 != std::string::npos &&
                text.find("\n  sessions-index:\n", manifests) < stage3)
        << "deploy/'s sessions services changed shape";
    if (manifests != std::string::npos && stage3 != std::string::npos)
      text.erase(manifests, stage3 - manifests);
    const std::string beta_profiles =
        "    profiles: [blockchain, sessions, node, admin, observability, relay]\n";
    const auto at = text.find(beta_profiles);
    EXPECT_NE(at, std::string::npos) << "deploy/'s beta changed shape";
    if (at != std::string::npos)
      text.insert(at + beta_profiles.size(),
                  fmt::format("    command: [\"--disable-network\", \"--scope-label\", "
                              "\"com.docker.compose.project={}\"]\n",
                              project_));
    text = std::regex_replace(text, std::regex("\n  egress: \\{\\}\n"), "\n  egress: {internal: true}\n");
    return std::regex_replace(text, std::regex("interval: (10|30)s"), "interval: 2s");
  }

  json reconcile() {
    const std::string identity =
        lucid::read_text_file(lt::project_vectors_dir() / "deploy-demo-keys" / "site-canary-chain-1.agekey")
            .value();
    lt::ScopedEnv key("AGE_PRIVATE_KEY", identity);
    return reconcile_once(*repo_, cluster_, dir_ / "state", "240s");
  }

  std::string container(const std::string& service) const { return container_of(project_, service); }
  std::string url(const std::string& service, int port, const std::string& path) const {
    auto ip = lt::docker(
        {"inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container(service)});
    return fmt::format("http://{}:{}{}", ip.out.substr(0, ip.out.find('\n')), port, path);
  }
  // The value of KEY in deploy/'s canary .env.
  static std::string deploy_env(const std::string& key) {
    const std::string env =
        lucid::read_text_file(fs::path(LUCID_SOURCE_DIR) / "deploy/clusters" / kDeployCluster / ".env")
            .value();
    std::smatch m;
    EXPECT_TRUE(std::regex_search(env, m, std::regex("(^|\n)" + key + "=([^\n]*)"))) << key;
    return m.size() > 2 ? m[2].str() : std::string();
  }

  // A mint through the deployed gateway at `base`: the demo node's signed request under deploy/'s
  // standard privacy policy answers 201 with a token that verifies with the key of the canary's
  // sessions.token_seed, published at /v1/keys; the same request again is refused as a replay.
  void expect_gateway_mints(const std::string& base) const {
    const fs::path demo_keys = lt::project_vectors_dir() / "deploy-demo-keys";
    const fs::path node_key = dir_ / "node.key";  // the loader wants a key file only its owner reads
    fs::copy_file(demo_keys / "node-demo.key", node_key, fs::copy_options::overwrite_existing);
    fs::permissions(node_key, fs::perms::owner_read | fs::perms::owner_write);
    auto node = lucid::seal::load_node_key(node_key);
    ASSERT_TRUE(node) << node.error().message;
    auto policy = lucid::parse_json_object(
        lucid::read_text_file(fs::path(LUCID_SOURCE_DIR) / "deploy/policies/privacy/standard.json").value(),
        "standard.json", lucid::sessions::kMaxPolicyDepth);
    ASSERT_TRUE(policy) << policy.error().message;
    ASSERT_TRUE(lt::wait_until([&] { return tc::healthy(base); }, 30s)) << "sessions-gateway is not healthy";

    lucid::sessions::MintRequestFields fields;
    fields.nonce = lucid::sessions::new_mint_nonce();
    fields.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    fields.policy = *policy;
    const std::string request = lucid::sessions::sign_mint_request(*node, fields).value();
    auto minted = lucid::http_post(base + "/v1/mint", request);
    ASSERT_TRUE(minted) << minted.error().message;
    ASSERT_EQ(minted->status, 201) << minted->body;

    const json secrets = json::parse(lucid::read_text_file(demo_keys / "manifest.json").value());
    lucid::crypto::Ed25519Seed seed;
    ASSERT_TRUE(lucid::from_hex_into(
        secrets["plaintexts"][kDeployCluster]["sessions.token_seed"].get<std::string>(), seed.span()));
    const auto token_key = lucid::crypto::Ed25519KeyPair::from_seed(seed);
    auto keys = tc::get_json(base + "/v1/keys");
    ASSERT_TRUE(keys.has_value());
    auto key_set = lucid::jwt::key_set_from_jwks(*keys);
    ASSERT_TRUE(key_set) << key_set.error().message;
    EXPECT_NE(key_set->find(lucid::jwt::jwk_thumbprint(token_key.public_key())), nullptr) << keys->dump();
    lucid::jwt::VerifyOptions verify{"sessions-gateway", "sessions-manifests", fields.timestamp_ms / 1000};
    auto claims = lucid::jwt::verify(json::parse(minted->body)["token"].get<std::string>(), *key_set, verify);
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims->subject(), lucid::to_hex(node->public_key()));
    EXPECT_EQ(claims->payload()["pol"], deploy_env("SESSIONS_POLICY_PINS"));

    auto replayed = lucid::http_post(base + "/v1/mint", request);
    ASSERT_TRUE(replayed) << replayed.error().message;
    EXPECT_EQ(replayed->status, 409) << replayed->body;
  }

  lt::ScratchDir dir_;
  std::optional<lt::SignedConfigRepo> repo_;
  std::string cluster_, project_;
};

TEST_F(CanaryFromDeploy, RunsTheCanaryChainWithTheKeysItsSecretsHold) {
  const std::string commit = repo_->push(files(), "deploy/ as it is");
  auto pass = reconcile();
  ASSERT_EQ(pass.value("outcome", ""), "promoted") << pass.dump();
  ASSERT_EQ(pass.value("commit", ""), commit);

  // The validator runs with the key its SOPS secret holds: the one genesis names (it refuses any other).
  const std::string core = url("blockchain-core", 7100, "");
  const json status = tc::status(core);
  EXPECT_EQ(status.value("chain_id", ""), deploy_env("CHAIN_ID")) << status.dump();
  EXPECT_EQ(status.value("validator", ""), deploy_env("CHAIN_VALIDATORS")) << status.dump();

  // An anchor becomes final on the canary's one validator, and the services follow.
  const auto sender = lucid::crypto::Ed25519KeyPair::generate();
  const auto tx = tc::anchor_transaction(sender, 0, 7, deploy_env("CHAIN_ID"));
  ASSERT_EQ(tc::submit(core, tx), 202);
  ASSERT_TRUE(lt::wait_until([&] { return tc::final_receipt(core, tx).has_value(); }, 30s))
      << tc::status(core).dump();
  tc::expect_proven_anchor(core, 7, 1);
  const std::string session = lucid::to_hex(std::vector<std::uint8_t>(16, 7));
  ASSERT_TRUE(lt::wait_until(
      [&] {
        return tc::get_json(url("blockchain-sessions-data", 8080, "/v1/sessions/" + session)).has_value();
      },
      30s));
  // The governance executor holds the key of its secret (it is not read-only).
  auto governances = tc::get_json(url("blockchain-governances", 8080, "/v1/status"));
  ASSERT_TRUE(governances.has_value());
  EXPECT_EQ((*governances)["executor"].value("mode", ""), "executor") << governances->dump();

  // sessions-gateway mints for the demo node the .env admits, under the policy the repo pins, and
  // signs with the key its SOPS secret holds.
  expect_gateway_mints(url("sessions-gateway", 8080, ""));

  // `lucidctl accept` runs the blockchain profile's checks on the site, and all pass.
  auto r =
      lt::run({lucidctl(), "accept", "--cluster", cluster_, "--state-dir", (dir_ / "state").string(),
               "--json", "--no-write", "--consensus-window", "2", "--datagrams", "1", "--ban-grace-ms", "0"});
  auto report = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out << r.err;
  std::map<std::string, json> checks;
  for (const auto& check : report["checks"]) checks[check.value("id", "")] = check;
  for (const char* id :
       {"blockchain.consensus-stable", "blockchain.vm-abi-tests", "blockchain.sessions-data-caught-up"})
    EXPECT_EQ(checks[id].value("result", ""), "pass") << id << ": " << checks[id].dump();
}

}  // namespace
