// lucid-blockchain-virtual-machine as a process beside a real chain: one etcd member, one
// lucid-blockchain-core validator (single-validator genesis) and the VM observing them. An anchor
// submitted to the validator is read back through the VM's /v1/call at a height and state root the
// validator agrees with; an estimate of a duplicate anchor shows its revert; the image's
// healthcheck (`health`), `status` and the in-process `abi-tests` pass.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chain_client.h"
#include "lucid/base/hex.h"
#include "lucid/base/http_client.h"
#include "lucid/chain/state.h"
#include "one_validator_chain.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test_client::get_json;

class VmServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdCluster::available()) GTEST_SKIP() << testing::EtcdCluster::skip_reason();
    vm_ = testing::bin_dir() / "lucid-blockchain-virtual-machine";
    ASSERT_TRUE(std::filesystem::exists(vm_)) << vm_;
    auto started = chain_.start(dir_.path());
    ASSERT_TRUE(started.has_value()) << started.error().message;
    vm_port_ = test_client::free_loopback_port();
    // The VM's settings from its environment, as in its image.
    testing::ScopedEnv genesis_env("CHAIN_GENESIS", chain_.genesis().string());
    testing::ScopedEnv etcd_env("CHAIN_ETCD", chain_.etcd_endpoints());
    testing::ScopedEnv listen_env("CHAIN_LISTEN", fmt::format("127.0.0.1:{}", vm_port_));
    testing::ScopedEnv budget_env("CHAIN_VM_LATENCY_BUDGET_MS", "1000");
    vm_pid_ = testing::spawn({vm_.string(), "serve", "--probe-interval-ms", "300"}, dir_ / "vm.out",
                             dir_ / "vm.log");
    ASSERT_GT(vm_pid_, 0);
    ASSERT_TRUE(testing::wait_until([&] { return test_client::healthy(vm()); }, 20s))
        << "the VM never became healthy: " << tail("vm.log");
  }

  void TearDown() override {
    if (vm_pid_ <= 0) return;
    ::kill(vm_pid_, SIGTERM);
    ::waitpid(vm_pid_, nullptr, 0);
  }

  std::string core() const { return chain_.base(); }
  std::string vm() const { return fmt::format("http://127.0.0.1:{}", vm_port_); }
  std::string tail(const std::string& log) const {
    auto bytes = testing::read_bytes(dir_ / log);
    std::string text(bytes.begin(), bytes.end());
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }
  // POSTs `body` to the VM; the status and the answer.
  std::pair<long, json> post(const std::string& path, const json& body) const {
    auto response = http_post(vm() + path, body.dump());
    if (!response) return {0, json()};
    return {response->status, json::parse(response->body, nullptr, false)};
  }
  testing::RunResult vm_command(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{vm_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run(argv);
  }

  testing::ScratchDir dir_;
  test_client::OneValidatorChain chain_;
  std::filesystem::path vm_;
  int vm_port_ = 0;
  int vm_pid_ = -1;
};

TEST_F(VmServiceTest, ReadsAnAnchorAtTheValidatorsFinalStateAndEstimatesItsDuplicate) {
  const crypto::Ed25519KeyPair sender = test_client::fixed_key(0xa1);
  const Transaction anchor = test_client::anchor_transaction(sender, 0, 5);
  ASSERT_EQ(test_client::submit(core(), anchor), 202);
  std::optional<json> receipt;
  ASSERT_TRUE(testing::wait_until(
      [&] { return (receipt = test_client::final_receipt(core(), anchor)).has_value(); }, 20s))
      << chain_.validator_log_tail();
  const std::uint64_t height = (*receipt)["height"].get<std::uint64_t>();
  ASSERT_TRUE(testing::wait_until(
      [&] { return test_client::status(vm()).value("final_height", 0ULL) >= height; }, 10s))
      << test_client::status(vm()).dump() << tail("vm.log");

  const json call = {{"contract", "AnchorRegistry"},
                     {"function", "getAnchor"},
                     {"arguments", {"0x" + to_hex(Bytes(16, 5))}}};
  auto [status, answer] = post("/v1/call", call);
  ASSERT_EQ(status, 200) << answer.dump();
  EXPECT_EQ(answer["outputs"]["merkleRoot"], "0x" + to_hex(Bytes(32, 5)));
  EXPECT_EQ(answer["outputs"]["chunkCount"], "3");
  EXPECT_EQ(answer["outputs"]["owner"], "0x" + to_hex(Bytes(32, 0xee)));
  EXPECT_EQ(answer["outputs"]["height"], fmt::format("{}", height));
  // The VM's final height and root are a block the validator holds final with the same root.
  auto block = get_json(fmt::format("{}/v1/blocks/{}", core(), answer["height"].get<std::uint64_t>()));
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ((*block)["state_root"], answer["state_root"]);
  EXPECT_EQ((*block)["final"], true);

  // The duplicate would revert; estimating it submits nothing.
  auto [estimate_status, estimate] =
      post("/v1/estimate", transaction_to_json(test_client::anchor_transaction(sender, 1, 5)));
  ASSERT_EQ(estimate_status, 200) << estimate.dump();
  EXPECT_EQ(estimate["receipt"]["success"], false);
  EXPECT_NE(estimate["receipt"]["error"].get<std::string>().find("already anchored"), std::string::npos)
      << estimate;

  // The image's healthcheck, the status accept reads, and the self-test.
  EXPECT_EQ(vm_command({"health", "--url", vm() + "/health"}).exit_code, 0);
  auto printed = vm_command({"status", "--url", vm() + "/v1/status"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  const json vm_status = json::parse(printed.out, nullptr, false);
  EXPECT_EQ(vm_status["observer"], true);
  EXPECT_EQ(vm_status["halted"], false);
  EXPECT_GE(vm_status["vm"]["calls"].get<int>(), 1);
  // The probe counts the chain's gas per contract from the blocks the observer executed.
  const auto anchor_gas = [&] {
    return test_client::status(vm())["vm"]["contracts"]["AnchorRegistry"].value("gas_used", 0ULL);
  };
  EXPECT_TRUE(testing::wait_until(
      [&] { return anchor_gas() >= (*receipt)["receipt"]["gas_used"].get<std::uint64_t>(); }, 5s))
      << test_client::status(vm()).dump();
  auto tests = vm_command({"abi-tests", "--json"});
  EXPECT_EQ(tests.exit_code, 0) << tests.out << tests.err;
  const json report = json::parse(tests.out, nullptr, false);
  EXPECT_GT(report.value("passed", 0), 40);
  EXPECT_EQ(report.value("failed", -1), 0);
  // The VM never wrote to etcd: no vote of its own, so the block stays signed by the validator alone.
  EXPECT_EQ((*block)["votes"].size(), 1u);
}

}  // namespace
}  // namespace lucid::chain
