// lucid-blockchain-governances against a real chain: one etcd member and one lucid-blockchain-core
// validator whose key is also the only governor. A proposal approved through the core API is executed by
// the service's executor once the timelock has passed at the final height (blocks are cut only for
// queued transactions, so filler anchors advance the heights), and /v1/params shows the new value with
// the height it changed at; a proposal out of bounds is refused by the contract and by
// /v1/proposals/check alike. A second service started without an executor key leaves the next approved
// proposal executable, and its health fails, naming it, once it has waited past the grace blocks.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chain_client.h"
#include "lucid/base/http_client.h"
#include "lucid/base/number.h"
#include "lucid/chain/param_registry.h"
#include "lucid/seal/keys.h"
#include "one_validator_chain.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test_client::get_json;

class GovernancesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdCluster::available()) GTEST_SKIP() << testing::EtcdCluster::skip_reason();
    binary_ = (testing::bin_dir() / "lucid-blockchain-governances").string();
    ASSERT_TRUE(std::filesystem::exists(binary_)) << binary_;
    auto started = chain_.start(dir_.path());
    ASSERT_TRUE(started.has_value()) << started.error().message;
    auto key = seal::load_node_key(chain_.validator_key());
    ASSERT_TRUE(key.has_value()) << key.error().message;
    governor_ = std::move(*key);
  }

  void TearDown() override { stop_service(); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string core() const { return chain_.base(); }
  std::string service(const std::string& endpoint = "") const {
    return fmt::format("http://127.0.0.1:{}{}", service_port_, endpoint);
  }
  std::string tail(const std::string& log) const {
    auto bytes = testing::read_bytes(dir_ / log);
    std::string text(bytes.begin(), bytes.end());
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
  }

  // Starts lucid-blockchain-governances serve with `extra` flags, and waits until it answers.
  void start_service(const std::vector<std::string>& extra) {
    service_port_ = test_client::free_loopback_port();
    std::vector<std::string> argv{binary_,     "serve",
                                  "--genesis", chain_.genesis().string(),
                                  "--etcd",    chain_.etcd_endpoints(),
                                  "--listen",  fmt::format("127.0.0.1:{}", service_port_)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    service_log_ = fmt::format("governances-{}.log", service_port_);
    service_pid_ = testing::spawn(argv, path("governances.out"), path(service_log_));
    ASSERT_GT(service_pid_, 0);
    ASSERT_TRUE(testing::wait_until([&] { return get_json(service("/v1/status")).has_value(); }, 10s))
        << tail(service_log_);
  }
  void stop_service() {
    if (service_pid_ <= 0) return;
    ::kill(service_pid_, SIGTERM);
    ::waitpid(service_pid_, nullptr, 0);
    service_pid_ = -1;
  }
  json service_json(const std::string& endpoint, long* status = nullptr) const {
    return get_json(service(endpoint), status).value_or(json::object());
  }
  std::uint64_t service_final_height() const {
    return service_json("/v1/status").value("final_height", 0ULL);
  }

  // Sends `tx` through the core and returns its final receipt document.
  json final_receipt(const Transaction& tx) {
    EXPECT_EQ(test_client::submit(core(), tx), 202);
    std::optional<json> receipt;
    EXPECT_TRUE(testing::wait_until(
        [&] { return (receipt = test_client::final_receipt(core(), tx)).has_value(); }, 10s))
        << chain_.validator_log_tail();
    return receipt.value_or(json::object());
  }
  json governance(const std::string& function, const std::vector<AbiValue>& arguments) {
    return final_receipt(
        test_client::call_transaction(governor_, governor_nonce_++, "Governance", function, arguments));
  }
  // Proposes `value` for `name` and votes yes: the only governor approves it. Returns its id.
  std::uint64_t approve(Param param, std::uint64_t value) {
    const json proposed =
        governance("propose", {AbiValue::bytes(param_name_word(param)), AbiValue::uint(value)});
    EXPECT_TRUE(proposed["receipt"]["success"].get<bool>()) << proposed.dump();
    // The Proposed event carries the id (a uint256 in its JSON form: a decimal string).
    const json& event = proposed["receipt"]["logs"][0];
    EXPECT_EQ(event["event"], "Proposed") << proposed.dump();
    const std::uint64_t id =
        parse_number<std::uint64_t>(event["arguments"]["id"].get<std::string>()).value_or(0);
    const json voted = governance("vote", {AbiValue::uint(id), AbiValue::boolean(true)});
    EXPECT_TRUE(voted["receipt"]["success"].get<bool>()) << voted.dump();
    return id;
  }
  // Filler anchors, one block each, until the service's final height reaches `height`.
  void advance_to(std::uint64_t height) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (service_final_height() < height && std::chrono::steady_clock::now() < deadline) {
      // One block at a time, and the service caught up with it before the next: no overshoot.
      const json filled =
          final_receipt(test_client::anchor_transaction(filler_, filler_nonce_++, ++session_));
      const std::uint64_t filled_at = filled.value("height", 0ULL);
      ASSERT_TRUE(testing::wait_until([&] { return service_final_height() >= filled_at; }, 10s));
    }
    ASSERT_GE(service_final_height(), height) << tail(service_log_);
  }

  testing::ScratchDir dir_;
  test_client::OneValidatorChain chain_;
  std::string binary_, service_log_;
  int service_port_ = 0;
  int service_pid_ = -1;
  crypto::Ed25519KeyPair governor_ = crypto::Ed25519KeyPair::generate();
  std::uint64_t governor_nonce_ = 0;
  crypto::Ed25519KeyPair filler_ = test_client::fixed_key(0x5f);
  std::uint64_t filler_nonce_ = 0;
  std::uint8_t session_ = 0;
};

TEST_F(GovernancesE2eTest, ExecutesAfterTheTimelockAndHealthFailsWithoutAnExecutor) {
  // 1. The service with an executor key: one approved proposal is executed once its timelock passed.
  auto made = testing::run({binary_, "keygen", "--out", path("executor.key")});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string executor = made.out.substr(0, 64);
  start_service({"--key", path("executor.key"), "--core", core()});
  ASSERT_TRUE(testing::wait_until([&] { return test_client::healthy(service()); }, 10s))
      << tail(service_log_);
  EXPECT_EQ(service_json("/v1/status")["executor"]["mode"], "executor");
  EXPECT_EQ(service_json("/v1/status")["executor"]["sender"], executor);

  const std::uint64_t first = approve(Param::kMaxTransactionsPerBlock, 400);
  ASSERT_EQ(first, 1u);
  json record;
  ASSERT_TRUE(testing::wait_until(
      [&] { return (record = service_json("/v1/proposals/1")).value("status", "") == "approved"; }, 10s))
      << record.dump();
  const std::uint64_t earliest = record["earliest_execution_height"].get<std::uint64_t>();
  EXPECT_EQ(earliest, record["approval_height"].get<std::uint64_t>() + 10) << "timelockBlocks' default";
  const json waiting = service_json("/v1/timelock");
  ASSERT_EQ(waiting["waiting"].size(), 1u) << waiting.dump();
  EXPECT_EQ(waiting["waiting"][0]["id"], 1);
  EXPECT_GT(waiting["waiting"][0]["blocks_remaining"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(service_json("/v1/proposals?status=approved")["proposals"].size(), 1u);

  // An out-of-bounds proposal: the contract refuses it, and so does the check tools make before signing.
  const json refused = governance(
      "propose", {AbiValue::bytes(param_name_word(Param::kMaxTransactionsPerBlock)), AbiValue::uint(5000)});
  EXPECT_FALSE(refused["receipt"]["success"].get<bool>());
  EXPECT_NE(refused["receipt"]["error"].get<std::string>().find("outside its bounds [1, 1000]"),
            std::string::npos)
      << refused.dump();
  HttpOptions options;
  auto high =
      http_post(service("/v1/proposals/check"), R"({"parameter": "maxBlockTransactions", "value": 5000})",
                "application/json", options);
  ASSERT_TRUE(high.has_value());
  EXPECT_EQ(high->status, 422) << high->body;
  EXPECT_EQ(json::parse(high->body)["max"], 1000);
  auto fine =
      http_post(service("/v1/proposals/check"), R"({"parameter": "maxBlockTransactions", "value": 400})",
                "application/json", options);
  ASSERT_TRUE(fine.has_value());
  EXPECT_EQ(fine->status, 200) << fine->body;

  advance_to(earliest);
  ASSERT_TRUE(testing::wait_until(
      [&] { return (record = service_json("/v1/proposals/1")).value("status", "") == "executed"; }, 10s))
      << record.dump() << tail(service_log_);
  const json params = service_json("/v1/params");
  const json& block_size = params["params"][1];
  EXPECT_EQ(block_size["name"], "maxBlockTransactions");
  EXPECT_EQ(block_size["value"], 400);
  EXPECT_EQ(block_size["default"], 500);
  EXPECT_GT(block_size["changed_at"].get<std::uint64_t>(), earliest)
      << "executed in a block after the final height";
  EXPECT_EQ(params["params"][0]["changed_at"], 0) << "timelockBlocks was never changed";
  // The executor settles its transaction once the receipt is final (it polls).
  json executed;
  ASSERT_TRUE(testing::wait_until(
      [&] { return (executed = service_json("/v1/status")["executor"]).value("executed", 0) == 1; }, 5s))
      << executed.dump();
  EXPECT_EQ(executed["submitted"], 1) << "one execute transaction for one proposal";
  EXPECT_TRUE(executed["in_flight"].is_null());
  EXPECT_TRUE(record["last_execution_error"].is_null());
  EXPECT_TRUE(test_client::healthy(service()));
  EXPECT_EQ(testing::run({binary_, "health", "--url", service("/health")}).exit_code, 0);
  stop_service();

  // 2. The service without an executor key (the default file is absent, and the seed empty as deploy/'s
  // compose file passes `${CHAIN_EXECUTOR_SEED:-}` of a cluster that sets none): read-only. The next
  // approved proposal stays executable, and health fails once it has waited past the grace blocks.
  testing::ScopedEnv no_key("CHAIN_EXECUTOR_KEY", std::nullopt);
  testing::ScopedEnv empty_seed("CHAIN_EXECUTOR_SEED", std::string());
  start_service({"--execution-grace-blocks", "3"});
  const json read_only = service_json("/v1/status")["executor"];
  EXPECT_EQ(read_only["mode"], "read-only");
  EXPECT_NE(read_only["read_only_reason"].get<std::string>().find("no executor key"), std::string::npos);
  const std::uint64_t second = approve(Param::kGovernanceQuorumPercent, 51);
  ASSERT_EQ(second, 2u);
  ASSERT_TRUE(testing::wait_until(
      [&] { return (record = service_json("/v1/proposals/2")).value("status", "") == "approved"; }, 10s));
  const std::uint64_t second_earliest = record["earliest_execution_height"].get<std::uint64_t>();
  advance_to(second_earliest + 2);
  EXPECT_TRUE(test_client::healthy(service())) << "executable for 2 final blocks: within the grace of 3";
  advance_to(second_earliest + 4);
  long status = 0;
  const json health = service_json("/health", &status);
  EXPECT_EQ(status, 503) << health.dump();
  EXPECT_EQ(health["overdue"], json::array({2}));
  EXPECT_NE(health["error"].get<std::string>().find("proposal 2 (governanceQuorumPercent = 51)"),
            std::string::npos)
      << health.dump();
  EXPECT_EQ(service_json("/v1/proposals/2")["status"], "approved");
  const json timelock = service_json("/v1/timelock");
  ASSERT_EQ(timelock["executable"].size(), 1u) << timelock.dump();
  EXPECT_EQ(timelock["executable"][0]["id"], 2);
  EXPECT_EQ(testing::run({binary_, "health", "--url", service("/health")}).exit_code, 1);
  auto printed = testing::run({binary_, "status", "--url", service("/v1/status")});
  EXPECT_EQ(printed.exit_code, 0);
  EXPECT_EQ(json::parse(printed.out)["timelock"]["overdue"], json::array({2})) << printed.out;
}

}  // namespace
}  // namespace lucid::chain
