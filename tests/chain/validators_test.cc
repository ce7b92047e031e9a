// Three validators (the lucid-blockchain-core binary) ordering through three real etcd members on this
// machine: anchors become final on all three with one state root; with one validator and one etcd
// member killed (the proposer first) anchoring goes on; with a second of each killed it stops and
// nothing forks; restarted, they catch up and agree; a tampered block put straight into etcd is
// refused by every validator, which halts and reports the incident. The deployed form (images
// started by the reconciler) is a separate test.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chain_client.h"
#include "lucid/base/hex.h"
#include "lucid/base/tcp.h"
#include "lucid/chain/ordering.h"
#include "testing/docker.h"
#include "testing/etcd_cluster.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test_client::get_json;

constexpr int kValidators = 3;

std::uint16_t free_port() {
  auto listener = tcp::listen("127.0.0.1:0");
  if (!listener) return 0;
  return listener->port;
}

class ValidatorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdCluster::available()) GTEST_SKIP() << testing::EtcdCluster::skip_reason();
    binary_ = testing::bin_dir() / "lucid-blockchain-core";
    ASSERT_TRUE(std::filesystem::exists(binary_)) << binary_;
    auto started = etcd_.start(3);
    ASSERT_TRUE(started.has_value()) << started.error().message;
    std::vector<std::string> genesis_args{
        binary_.string(), "genesis", "--chain-id", "lucid-test",
        "--time-ms",      "1000",    "--out",      (dir_ / "genesis.json").string()};
    for (int i = 0; i < kValidators; ++i) {
      auto made = testing::run({binary_.string(), "keygen", "--out", key_file(i)});
      ASSERT_EQ(made.exit_code, 0) << made.err;
      validator_keys_.push_back(made.out.substr(0, 64));
      genesis_args.insert(genesis_args.end(), {"--validator", validator_keys_.back()});
      ports_.push_back(free_port());
      pids_.push_back(-1);
    }
    auto genesis = testing::run(genesis_args);
    ASSERT_EQ(genesis.exit_code, 0) << genesis.err;
    for (int i = 0; i < kValidators; ++i) start_validator(i);
    for (int i = 0; i < kValidators; ++i)
      ASSERT_TRUE(testing::wait_until([&] { return healthy(i); }, 20s))
          << "validator " << i << " never healthy: " << log_tail(i);
  }

  void TearDown() override {
    for (int i = 0; i < static_cast<int>(pids_.size()); ++i) kill_validator(i);
  }

  std::string key_file(int i) const { return (dir_ / fmt::format("v{}.key", i)).string(); }
  std::string url(int i, const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", ports_[i], path);
  }

  void start_validator(int i) {
    std::string endpoints;
    for (const std::string& endpoint : etcd_.client_urls())
      endpoints += (endpoints.empty() ? "" : ",") + endpoint;
    pids_[i] =
        testing::spawn({binary_.string(), "serve", "--genesis", (dir_ / "genesis.json").string(), "--key",
                        key_file(i), "--etcd", endpoints, "--listen", fmt::format("127.0.0.1:{}", ports_[i]),
                        "--block-interval-ms", "100", "--proposer-lease", "1"},
                       dir_ / fmt::format("v{}.out", i), dir_ / fmt::format("v{}.log", i));
    ASSERT_GT(pids_[i], 0);
  }

  void kill_validator(int i) {
    if (pids_[i] <= 0) return;
    ::kill(pids_[i], SIGKILL);
    ::waitpid(pids_[i], nullptr, 0);
    pids_[i] = -1;
  }

  std::string log_tail(int i) const {
    auto bytes = testing::read_bytes(dir_ / fmt::format("v{}.log", i));
    std::string text(bytes.begin(), bytes.end());
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

  bool healthy(int i) const { return test_client::healthy(url(i, "")); }
  json status(int i) const { return test_client::status(url(i, "")); }
  Transaction anchor_tx(std::uint8_t session) {
    return test_client::anchor_transaction(sender_, nonce_, session);
  }
  long submit(int i, const Transaction& tx) { return test_client::submit(url(i, ""), tx); }
  std::optional<json> final_receipt(int i, const Transaction& tx) const {
    return test_client::final_receipt(url(i, ""), tx);
  }
  void expect_one_chain(const std::vector<int>& live) {
    std::vector<std::string> bases;
    for (int i : live) bases.push_back(url(i, ""));
    test_client::expect_one_chain(bases);
  }

  testing::ScratchDir dir_;
  testing::EtcdCluster etcd_;
  std::filesystem::path binary_;
  std::vector<std::string> validator_keys_;
  std::vector<std::uint16_t> ports_;
  std::vector<int> pids_;
  crypto::Ed25519KeyPair sender_ = crypto::Ed25519KeyPair::generate();
  std::uint64_t nonce_ = 0;
};

TEST_F(ValidatorsTest, AnchorsBecomeFinalOnAllThreeAndSurviveTheLossOfOneOfEach) {
  // 1. Anchors submitted to any validator are final on all three, with one state root.
  std::vector<Transaction> sent;
  for (std::uint8_t s = 1; s <= 4; ++s) {
    sent.push_back(anchor_tx(s));
    ++nonce_;
    ASSERT_EQ(submit(s % kValidators, sent.back()), 202);
  }
  for (int i = 0; i < kValidators; ++i)
    for (const Transaction& tx : sent)
      ASSERT_TRUE(testing::wait_until([&] { return final_receipt(i, tx).has_value(); }, 20s))
          << "not final on validator " << i << ": " << status(i).dump() << log_tail(i);
  expect_one_chain({0, 1, 2});

  // A sender whose transactions arrive in reverse nonce order: the queue is read by sender and nonce,
  // so every one executes (none waits forever behind a later nonce).
  {
    crypto::Ed25519KeyPair reverse_sender = crypto::Ed25519KeyPair::generate();
    std::vector<Transaction> reversed;
    for (std::uint8_t n = 0; n < 40; ++n)
      reversed.push_back(
          test_client::anchor_transaction(reverse_sender, n, static_cast<std::uint8_t>(100 + n)));
    for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) ASSERT_EQ(submit(0, *it), 202);
    for (const Transaction& tx : reversed)
      ASSERT_TRUE(testing::wait_until([&] { return final_receipt(2, tx).has_value(); }, 20s))
          << "nonce " << tx.nonce << " never final: " << status(2).dump();
    for (const Transaction& tx : reversed)
      EXPECT_TRUE((*final_receipt(2, tx))["receipt"]["success"].get<bool>());
  }

  // The anchor and the proof that it is in the state two thirds signed.
  test_client::expect_proven_anchor(url(1, ""), 2, 2);

  // 2. Kill the proposer and one etcd member: anchoring continues on the other two.
  int proposer = -1;
  ASSERT_TRUE(testing::wait_until(
      [&] {
        for (int i = 0; i < kValidators; ++i)
          if (status(i).value("proposer", false)) proposer = i;
        return proposer >= 0;
      },
      10s));
  kill_validator(proposer);
  etcd_.kill(proposer);
  std::vector<int> live;
  for (int i = 0; i < kValidators; ++i)
    if (i != proposer) live.push_back(i);
  std::vector<Transaction> during;
  for (std::uint8_t s = 10; s < 13; ++s) {
    during.push_back(anchor_tx(s));
    ++nonce_;
    ASSERT_TRUE(testing::wait_until([&] { return submit(live[s % 2], during.back()) == 202; }, 10s));
  }
  for (int i : live)
    for (const Transaction& tx : during)
      ASSERT_TRUE(testing::wait_until([&] { return final_receipt(i, tx).has_value(); }, 30s))
          << "not final on validator " << i << " with one of each down: " << status(i).dump() << log_tail(i);
  expect_one_chain(live);

  // 3. Kill a second of each: anchoring stops, and the survivor neither orders nor finalizes anything.
  const int second = live[0], survivor = live[1];
  kill_validator(second);
  etcd_.kill(second);
  const json before = status(survivor);
  Transaction stalled = anchor_tx(20);
  ++nonce_;
  (void)submit(survivor, stalled);  // refused (no etcd quorum) or queued: either way nothing is final
  std::this_thread::sleep_for(4s);
  const json after = status(survivor);
  EXPECT_EQ(after["final_height"], before["final_height"]) << after.dump();
  EXPECT_FALSE(final_receipt(survivor, stalled).has_value());
  EXPECT_FALSE(after.value("halted", true)) << "a stall is not an incident";

  // 4. Restart both: they catch up, agree, and the stalled anchor (resubmitted if it was refused) is final.
  for (int i : {proposer, second}) {
    auto restarted = etcd_.restart(i);
    ASSERT_TRUE(restarted.has_value()) << restarted.error().message;
  }
  for (int i : {proposer, second}) start_validator(i);
  ASSERT_TRUE(testing::wait_until(
      [&] { return submit(survivor, stalled) == 202 || final_receipt(survivor, stalled); }, 20s));
  for (int i = 0; i < kValidators; ++i)
    ASSERT_TRUE(testing::wait_until([&] { return final_receipt(i, stalled).has_value(); }, 30s))
        << "validator " << i << " did not catch up: " << status(i).dump() << log_tail(i);
  ASSERT_TRUE(testing::wait_until(
      [&] {
        const json a = status(0), b = status(1), c = status(2);
        return a["height"] == b["height"] && b["height"] == c["height"] && a["state_root"] == c["state_root"];
      },
      20s));
  expect_one_chain({0, 1, 2});

  // 4b. A snapshot at height 3, replayed over the rest of the chain, reproduces the head's root; a
  // snapshot with a flipped byte is refused by `verify` and by `replay`.
  {
    const std::string ledger_binary = (testing::bin_dir() / "lucid-blockchain-ledger").string();
    std::string endpoints;
    for (const std::string& endpoint : etcd_.client_urls())
      endpoints += (endpoints.empty() ? "" : ",") + endpoint;
    const std::string snapshot = (dir_ / "at3.snapshot").string();
    auto taken = testing::run({ledger_binary, "snapshot", "--genesis", (dir_ / "genesis.json").string(),
                               "--etcd", endpoints, "--height", "3", "--out", snapshot});
    ASSERT_EQ(taken.exit_code, 0) << taken.err;
    EXPECT_EQ(json::parse(taken.out)["height"], 3);
    auto replayed = testing::run({ledger_binary, "replay", "--genesis", (dir_ / "genesis.json").string(),
                                  "--etcd", endpoints, "--snapshot", snapshot});
    ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
    const json replay = json::parse(replayed.out);
    const json head = status(0);
    EXPECT_EQ(replay["head"], head["height"]) << replay.dump();
    EXPECT_EQ(replay["head_state_root"], head["state_root"]) << replay.dump();
    EXPECT_EQ(replay["final_height"], head["final_height"]) << replay.dump();
    auto bytes = testing::read_bytes(snapshot);
    bytes[bytes.size() / 2] ^= 0x01;
    testing::write_bytes(snapshot, bytes);
    auto verified = testing::run({ledger_binary, "verify", "--snapshot", snapshot});
    EXPECT_EQ(verified.exit_code, 1);
    EXPECT_NE(verified.err.find("checksum"), std::string::npos) << verified.err;
    auto refused = testing::run({ledger_binary, "replay", "--genesis", (dir_ / "genesis.json").string(),
                                 "--etcd", endpoints, "--snapshot", snapshot});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
  }

  // 5. A tampered block ordered straight into etcd (bypassing every proposer) is refused by each
  // validator: it halts, reports the incident in /status, in etcd, and fails its health.
  test_client::expect_tampered_block_refused(etcd_.client_urls(), default_key_prefix("lucid-test"),
                                             {url(0, ""), url(1, ""), url(2, "")}, anchor_tx(30));
}

}  // namespace
}  // namespace lucid::chain
