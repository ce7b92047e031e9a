// blockchain-ledger as a service (`lucid-blockchain-ledger serve`) beside a one-validator chain on a
// real etcd member: every final block is archived with its votes and receipts, as the validator
// serves it; a snapshot is written every N final blocks (the last K kept), downloads, verifies and
// replays to the head's root, and refuses a flipped byte; a restarted service resumes where it
// stopped; with etcd gone its health fails naming it.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chain_client.h"
#include "one_validator_chain.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test_client::get_json;

class LedgerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdCluster::available()) GTEST_SKIP() << testing::EtcdCluster::skip_reason();
    std::filesystem::create_directories(dir_ / "chain");
    auto started = chain_.start(dir_ / "chain");
    ASSERT_TRUE(started.has_value()) << started.error().message;
    port_ = test_client::free_loopback_port();
    start_ledger();
  }
  void TearDown() override { stop_ledger(); }

  void start_ledger() {
    pid_ =
        testing::spawn({binary(), "serve", "--genesis", chain_.genesis().string(), "--etcd",
                        chain_.etcd_endpoints(), "--dir", (dir_ / "ledger").string(), "--listen",
                        fmt::format("127.0.0.1:{}", port_), "--snapshot-every", "3", "--keep-snapshots", "2"},
                       dir_ / "ledger.out", dir_ / "ledger.log");
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(testing::wait_until([&] { return test_client::healthy(url("")); }, 20s)) << log_tail();
  }
  void stop_ledger() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  static std::string binary() { return (testing::bin_dir() / "lucid-blockchain-ledger").string(); }
  std::string url(const std::string& path) const { return fmt::format("http://127.0.0.1:{}{}", port_, path); }
  std::string log_tail() const {
    auto bytes = testing::read_bytes(dir_ / "ledger.log");
    std::string text(bytes.begin(), bytes.end());
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

  // Anchors sessions `from`..`to`, one block each (each waits until final).
  void anchor(std::uint8_t from, std::uint8_t to) {
    for (int s = from; s <= to; ++s) {
      auto tx = test_client::anchor_transaction(sender_, nonce_++, static_cast<std::uint8_t>(s));
      ASSERT_EQ(test_client::submit(chain_.base(), tx), 202);
      ASSERT_TRUE(testing::wait_until(
          [&] { return test_client::final_receipt(chain_.base(), tx).has_value(); }, 20s));
    }
  }
  std::uint64_t core_final() const { return test_client::status(chain_.base()).value("final_height", 0ULL); }
  json ledger_status() const { return get_json(url("/v1/status")).value_or(json::object()); }
  void wait_archived(std::uint64_t height) {
    ASSERT_TRUE(
        testing::wait_until([&] { return ledger_status().value("archived_height", 0ULL) >= height; }, 20s))
        << ledger_status().dump() << log_tail();
  }

  testing::ScratchDir dir_;
  test_client::OneValidatorChain chain_;
  int port_ = 0;
  int pid_ = -1;
  crypto::Ed25519KeyPair sender_ = crypto::Ed25519KeyPair::generate();
  std::uint64_t nonce_ = 0;
};

TEST_F(LedgerServiceTest, ArchivesFinalBlocksSnapshotsReplaysAndResumes) {
  anchor(1, 8);
  const std::uint64_t final_height = core_final();
  ASSERT_GE(final_height, 8u);
  wait_archived(final_height);

  // 1. Every archived block is the validator's block, with its votes and receipts.
  for (std::uint64_t h = 1; h <= final_height; ++h) {
    auto archived = get_json(url(fmt::format("/v1/blocks/{}", h)));
    auto served = get_json(fmt::format("{}/v1/blocks/{}", chain_.base(), h));
    ASSERT_TRUE(archived && served) << h;
    EXPECT_EQ((*archived)["hash"], (*served)["hash"]) << h;
    EXPECT_EQ((*archived)["state_root"], (*served)["state_root"]) << h;
    EXPECT_EQ((*archived)["block"], (*served)["block"]) << h;
    EXPECT_TRUE((*archived)["final"].get<bool>()) << h;
    EXPECT_FALSE((*archived)["votes"].empty()) << h;
    EXPECT_EQ((*archived)["receipts"].size(), (*served)["block"]["transactions"].size()) << h;
  }
  long status = 0;
  (void)get_json(url(fmt::format("/v1/blocks/{}", final_height + 50)), &status);
  EXPECT_EQ(status, 404);

  // 2. Snapshots: every 3 final blocks, the last two kept, the files gone with them.
  const json snapshots = ledger_status()["snapshots"];
  ASSERT_EQ(snapshots.size(), 2u) << snapshots.dump();
  EXPECT_GE(snapshots[1]["height"].get<std::uint64_t>(), snapshots[0]["height"].get<std::uint64_t>() + 3);
  EXPECT_GE(snapshots[1]["height"].get<std::uint64_t>() + 3, final_height + 1);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "ledger" / "snapshots"))
    files += entry.path().extension() == ".snapshot" ? 1 : 0;
  EXPECT_EQ(files, 2u);

  // 3. The latest downloads, verifies with its root as the validator signed it, and replays to the head.
  auto latest =
      testing::run({"curl", "-sf", "-o", (dir_ / "latest.snapshot").string(), url("/v1/snapshots/latest")});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  auto verified = testing::run({binary(), "verify", "--snapshot", (dir_ / "latest.snapshot").string()});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  const json summary = json::parse(verified.out);
  EXPECT_EQ(summary["height"], snapshots[1]["height"]);
  auto at = get_json(fmt::format("{}/v1/blocks/{}", chain_.base(), summary["height"].get<std::uint64_t>()));
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(summary["state_root"], (*at)["state_root"]);
  auto replayed = testing::run({binary(), "replay", "--genesis", chain_.genesis().string(), "--etcd",
                                chain_.etcd_endpoints(), "--snapshot", (dir_ / "latest.snapshot").string()});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  const json head = test_client::status(chain_.base());
  EXPECT_EQ(json::parse(replayed.out)["head_state_root"], head["state_root"]);
  auto bytes = testing::read_bytes(dir_ / "latest.snapshot");
  bytes[bytes.size() / 2] ^= 0x01;
  testing::write_bytes(dir_ / "flipped.snapshot", bytes);
  EXPECT_NE(testing::run({binary(), "verify", "--snapshot", (dir_ / "flipped.snapshot").string()}).exit_code,
            0);

  // 4. Stopped while the chain goes on, restarted: it resumes where it stopped.
  stop_ledger();
  anchor(9, 11);
  start_ledger();
  wait_archived(core_final());
  auto first = get_json(url("/v1/blocks/1"));
  auto served_first = get_json(fmt::format("{}/v1/blocks/1", chain_.base()));
  ASSERT_TRUE(first && served_first);
  EXPECT_EQ((*first)["hash"], (*served_first)["hash"]);
  EXPECT_EQ(ledger_status().value("last_error", "?"), "");
  auto health = testing::run({binary(), "health", "--url", url("/health")});
  EXPECT_EQ(health.exit_code, 0) << health.out << health.err;

  // 5. etcd gone: health fails and says why.
  chain_.etcd().kill(0);
  ASSERT_TRUE(testing::wait_until([&] { return !test_client::healthy(url("")); }, 20s));
  auto down = testing::run({binary(), "health", "--url", url("/health")});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.out.find("etcd"), std::string::npos) << down.out;
}

}  // namespace
}  // namespace lucid::chain
