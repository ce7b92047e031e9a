// The payout routers PR0 and PRKYC in the VM: recorders changed by governors only, batches recorded
// once with a valid period (and, in PRKYC, a KYC root), receipts once per TRON transaction and never
// beyond a batch's total (uint256, overflow refused), settlement, views, reverts that keep nothing but
// the nonce, and the same root from the same transactions. Senders are real Ed25519 keys signing real
// transactions.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "chain_client.h"

#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/payout_router.h"
#include "lucid/chain/vm.h"

namespace lucid::chain {
namespace {

using Values = std::vector<AbiValue>;

Bytes filled(std::uint8_t b) {
  return Bytes(32, b);
}

Bytes key_of(const crypto::Ed25519KeyPair& key) {
  return {key.public_key().begin(), key.public_key().end()};
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

AbiWord max_word() {
  AbiWord word;
  word.fill(0xff);
  return word;
}

Transaction make_call(const State& state, const crypto::Ed25519KeyPair& sender, const std::string& contract,
                      const std::string& function, const Values& arguments,
                      std::optional<std::uint64_t> nonce = std::nullopt) {
  return test_client::call_transaction(sender, nonce.value_or(Vm::next_nonce(state, sender.public_key())),
                                       contract, function, arguments);
}

// recordBatch's arguments: batch 32 × `id`, period, payouts root 32 × 0x90, 3 payouts, `total`; PRKYC
// also `kyc` (32 × that byte) when given.
Values batch_args(std::uint8_t id, const AbiValue& total, std::uint64_t period = 202612,
                  std::optional<std::uint8_t> kyc = std::nullopt) {
  Values args{AbiValue::bytes(filled(id)), AbiValue::uint(period), AbiValue::bytes(filled(0x90)),
              AbiValue::uint(3), total};
  if (kyc) {
    args.push_back(AbiValue::bytes(filled(*kyc)));
  }
  return args;
}

Values receipt_args(std::uint8_t batch, std::uint8_t tron_tx, const AbiValue& amount) {
  return {AbiValue::bytes(filled(batch)), AbiValue::bytes(filled(tron_tx)), amount};
}

class PayoutRouterTest : public ::testing::Test {
 protected:
  Receipt run(const crypto::Ed25519KeyPair& sender, const std::string& contract, const std::string& function,
              const Values& arguments) {
    ++height;
    return vm.apply(state, make_call(state, sender, contract, function, arguments), height, 1000 * height);
  }
  Result<Values> view(const std::string& contract, const std::string& function, const Values& arguments) {
    return test_client::view(vm, state, contract, function, arguments, height);
  }
  Values recorders(const std::string& contract) {
    auto list = view(contract, "recorders", {}).value();
    return std::get<Values>(list[0].value);
  }
  // Adds `recorder` to `contract` (by governor g1).
  void add_recorder(const std::string& contract, const crypto::Ed25519KeyPair& recorder) {
    Receipt added = run(g1, contract, "addRecorder", {AbiValue::bytes(key_of(recorder))});
    ASSERT_TRUE(added.success) << added.error;
  }
  // The contracts' state entries, without the senders' nonces: what a revert must leave as it was.
  std::map<std::string, Bytes, std::less<>> contract_entries() const {
    std::map<std::string, Bytes, std::less<>> out;
    for (const auto& [key, value] : state.entries()) {
      if (!key.starts_with("nonce/")) {
        out.emplace(key, value);
      }
    }
    return out;
  }
  // `function` reverts with a reason containing `reason`, leaving no log and no write but the nonce.
  void expect_revert(const crypto::Ed25519KeyPair& sender, const std::string& contract,
                     const std::string& function, const Values& arguments, std::string_view reason) {
    const auto before = contract_entries();
    const std::uint64_t nonce = Vm::next_nonce(state, sender.public_key());
    Receipt r = run(sender, contract, function, arguments);
    EXPECT_FALSE(r.success) << function << " succeeded; expected a revert naming " << reason;
    EXPECT_TRUE(contains(r.error, reason)) << r.error;
    EXPECT_TRUE(r.logs.empty());
    EXPECT_EQ(contract_entries(), before) << function << " reverted but kept a write";
    EXPECT_EQ(Vm::next_nonce(state, sender.public_key()), nonce + 1);
  }

  crypto::Ed25519KeyPair g1 = test_client::fixed_key(0x01);
  crypto::Ed25519KeyPair g2 = test_client::fixed_key(0x02);
  crypto::Ed25519KeyPair r1 = test_client::fixed_key(0x21);
  crypto::Ed25519KeyPair r2 = test_client::fixed_key(0x22);
  crypto::Ed25519KeyPair outsider = test_client::fixed_key(0x0e);
  State state;
  Vm vm{{g1.public_key(), g2.public_key()}};
  std::uint64_t height = 0;
};

TEST_F(PayoutRouterTest, OnlyGovernorsChangeTheRecorders) {
  EXPECT_TRUE(recorders("PR0").empty());
  expect_revert(outsider, "PR0", "addRecorder", {AbiValue::bytes(key_of(outsider))}, "only a governor");
  expect_revert(r1, "PR0", "addRecorder", {AbiValue::bytes(key_of(r1))}, "only a governor");

  Receipt added = run(g1, "PR0", "addRecorder", {AbiValue::bytes(key_of(r2))});
  ASSERT_TRUE(added.success) << added.error;
  ASSERT_EQ(added.logs.size(), 1u);
  EXPECT_EQ(added.logs[0].contract, "PR0");
  EXPECT_EQ(decode_event(*embedded_abi("PR0").event("RecorderAdded"), added.logs[0].log).value(),
            (Values{AbiValue::bytes(key_of(r2))}));
  Receipt second = run(g2, "PR0", "addRecorder", {AbiValue::bytes(key_of(r1))});  // any one governor
  ASSERT_TRUE(second.success) << second.error;
  Values sorted{AbiValue::bytes(key_of(r1)), AbiValue::bytes(key_of(r2))};
  std::sort(sorted.begin(), sorted.end(), [](const AbiValue& a, const AbiValue& b) {
    return std::get<Bytes>(a.value) < std::get<Bytes>(b.value);
  });
  EXPECT_EQ(recorders("PR0"), sorted);
  EXPECT_TRUE(recorders("PRKYC").empty());  // each router has its own set

  expect_revert(g1, "PR0", "addRecorder", {AbiValue::bytes(key_of(r1))}, "already a recorder of PR0");
  expect_revert(g1, "PR0", "addRecorder", {AbiValue::bytes(filled(0))}, "non-zero");
  expect_revert(r1, "PR0", "removeRecorder", {AbiValue::bytes(key_of(r2))}, "only a governor");

  Receipt removed = run(g2, "PR0", "removeRecorder", {AbiValue::bytes(key_of(r2))});
  ASSERT_TRUE(removed.success) << removed.error;
  ASSERT_EQ(removed.logs.size(), 1u);
  EXPECT_EQ(removed.logs[0].log.topics[0], embedded_abi("PR0").event("RecorderRemoved")->topic());
  EXPECT_EQ(recorders("PR0"), (Values{AbiValue::bytes(key_of(r1))}));
  expect_revert(g2, "PR0", "removeRecorder", {AbiValue::bytes(key_of(r2))}, "is not a recorder of PR0");

  // A removed recorder records nothing more; a governor is no recorder unless added.
  expect_revert(r2, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100)), "only a recorder of PR0");
  expect_revert(g1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100)), "only a recorder of PR0");
  EXPECT_TRUE(run(r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100))).success);
}

TEST_F(PayoutRouterTest, ABatchIsRecordedAndReadBack) {
  add_recorder("PR0", r1);
  expect_revert(outsider, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100)), "only a recorder");
  EXPECT_EQ(view("PR0", "batchCount", {}).value(), (Values{AbiValue::uint(0)}));

  AbiWord big{};
  big[0] = 0x01;  // 2^248: totals are full uint256 words
  const Values args = batch_args(1, AbiValue::word(big));
  Receipt recorded = run(r1, "PR0", "recordBatch", args);
  ASSERT_TRUE(recorded.success) << recorded.error;
  const std::uint64_t at = height;
  EXPECT_GE(recorded.gas_used, vm.gas().transaction + 2 * vm.gas().storage_write + vm.gas().log);
  ASSERT_EQ(recorded.logs.size(), 1u);
  const AbiEvent& event = *embedded_abi("PR0").event("BatchRecorded");
  EXPECT_EQ(recorded.logs[0].log.topics.size(), 3u);  // the event, batchId, period
  EXPECT_EQ(decode_event(event, recorded.logs[0].log).value(), args);

  EXPECT_EQ(view("PR0", "getBatch", {args[0]}).value(),
            (Values{args[1], args[2], args[3], args[4], AbiValue::uint(0), AbiValue::uint(0),
                    AbiValue::boolean(false), AbiValue::bytes(key_of(r1)), AbiValue::uint(at)}));
  EXPECT_EQ(view("PR0", "batchCount", {}).value(), (Values{AbiValue::uint(1)}));
  EXPECT_TRUE(state.get(fmt::format("PR0/{}", PayoutRouter::batch_key(filled(1)))));

  auto unknown = view("PR0", "getBatch", {AbiValue::bytes(filled(2))});
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(contains(unknown.error().message, "unknown batch")) << unknown.error().message;
  auto no_receipt = view("PR0", "getReceipt", {AbiValue::bytes(filled(0x7e))});
  ASSERT_FALSE(no_receipt);
  EXPECT_TRUE(contains(no_receipt.error().message, "unknown receipt")) << no_receipt.error().message;
  // A recording function is no view.
  auto as_view = vm.view(
      state, "PR0",
      encode_call(*embedded_abi("PR0").function("recordBatch"), batch_args(3, AbiValue::uint(1))).value(),
      height);
  EXPECT_FALSE(as_view);
  // PR0 and PRKYC keep separate batches.
  EXPECT_FALSE(view("PRKYC", "getBatch", {args[0]}));
}

TEST_F(PayoutRouterTest, PrKycRefusesABatchWithoutAKycRoot) {
  add_recorder("PRKYC", r1);
  expect_revert(r1, "PRKYC", "recordBatch", batch_args(1, AbiValue::uint(100), 202612, 0x00),
                "kycRoot must be non-zero");
  const Values args = batch_args(1, AbiValue::uint(100), 202612, 0xc1);
  Receipt recorded = run(r1, "PRKYC", "recordBatch", args);
  ASSERT_TRUE(recorded.success) << recorded.error;
  ASSERT_EQ(recorded.logs.size(), 1u);
  EXPECT_EQ(decode_event(*embedded_abi("PRKYC").event("BatchRecorded"), recorded.logs[0].log).value(), args);
  auto batch = view("PRKYC", "getBatch", {args[0]}).value();
  ASSERT_EQ(batch.size(), 10u);
  EXPECT_EQ(batch.back(), AbiValue::bytes(filled(0xc1)));
  EXPECT_EQ(batch[7], AbiValue::bytes(key_of(r1)));
}

TEST_F(PayoutRouterTest, BadPeriodsAndEmptyBatchesAreRefused) {
  add_recorder("PR0", r1);
  for (std::uint64_t period : {0ULL, 199912ULL, 200000ULL, 202613ULL, 202600ULL, 1000001ULL, 20261ULL}) {
    SCOPED_TRACE(period);
    expect_revert(r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100), period),
                  fmt::format("period {} is not YYYYMM", period));
  }
  EXPECT_FALSE(valid_payout_period(4294967295ULL));
  Values no_root = batch_args(1, AbiValue::uint(100));
  no_root[2] = AbiValue::bytes(filled(0));
  expect_revert(r1, "PR0", "recordBatch", no_root, "payoutsRoot must be non-zero");
  Values no_payouts = batch_args(1, AbiValue::uint(100));
  no_payouts[3] = AbiValue::uint(0);
  expect_revert(r1, "PR0", "recordBatch", no_payouts, "payouts must be at least 1");
  expect_revert(r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(0)), "total must be above 0");
  EXPECT_EQ(view("PR0", "batchCount", {}).value(), (Values{AbiValue::uint(0)}));
  // The bounds themselves are periods.
  EXPECT_TRUE(run(r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100), 200001)).success);
  EXPECT_TRUE(run(r1, "PR0", "recordBatch", batch_args(2, AbiValue::uint(100), 999912)).success);
  EXPECT_EQ(view("PR0", "batchCount", {}).value(), (Values{AbiValue::uint(2)}));
}

TEST_F(PayoutRouterTest, ABatchIdIsRecordedOnce) {
  add_recorder("PR0", r1);
  add_recorder("PR0", r2);
  ASSERT_TRUE(run(r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100))).success);
  expect_revert(r2, "PR0", "recordBatch", batch_args(1, AbiValue::uint(500), 202701), "batch exists");
  EXPECT_EQ(view("PR0", "batchCount", {}).value(), (Values{AbiValue::uint(1)}));
  EXPECT_EQ(view("PR0", "getBatch", {AbiValue::bytes(filled(1))}).value()[7], AbiValue::bytes(key_of(r1)));
}

TEST_F(PayoutRouterTest, ATronTransactionIsRecordedOncePerRouter) {
  add_recorder("PR0", r1);
  add_recorder("PRKYC", r1);
  ASSERT_TRUE(run(r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100))).success);
  ASSERT_TRUE(run(r1, "PR0", "recordBatch", batch_args(2, AbiValue::uint(100))).success);
  Receipt first = run(r1, "PR0", "recordReceipt", receipt_args(1, 0x7e, AbiValue::uint(10)));
  ASSERT_TRUE(first.success) << first.error;
  const std::uint64_t at = height;
  expect_revert(r1, "PR0", "recordReceipt", receipt_args(2, 0x7e, AbiValue::uint(10)), "receipt exists");
  expect_revert(r1, "PR0", "recordReceipt", receipt_args(1, 0x7e, AbiValue::uint(10)), "receipt exists");
  expect_revert(r1, "PR0", "recordReceipt", receipt_args(9, 0x7f, AbiValue::uint(10)), "unknown batch");
  expect_revert(r1, "PR0", "recordReceipt", receipt_args(1, 0x00, AbiValue::uint(10)),
                "tronTx must be non-zero");
  expect_revert(r1, "PR0", "recordReceipt", receipt_args(1, 0x7f, AbiValue::uint(0)),
                "amount must be above 0");
  expect_revert(outsider, "PR0", "recordReceipt", receipt_args(1, 0x7f, AbiValue::uint(10)),
                "only a recorder");
  EXPECT_EQ(view("PR0", "getReceipt", {AbiValue::bytes(filled(0x7e))}).value(),
            (Values{AbiValue::bytes(filled(1)), AbiValue::uint(10), AbiValue::uint(at)}));
  // Another router is another namespace of receipts.
  ASSERT_TRUE(run(r1, "PRKYC", "recordBatch", batch_args(1, AbiValue::uint(100), 202612, 0xc1)).success);
  EXPECT_TRUE(run(r1, "PRKYC", "recordReceipt", receipt_args(1, 0x7e, AbiValue::uint(10))).success);
}

TEST_F(PayoutRouterTest, AnOverPaymentIsRefusedAndChangesNothing) {
  add_recorder("PR0", r1);
  ASSERT_TRUE(run(r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100))).success);
  ASSERT_TRUE(run(r1, "PR0", "recordReceipt", receipt_args(1, 0x71, AbiValue::uint(60))).success);
  const Values before = view("PR0", "getBatch", {AbiValue::bytes(filled(1))}).value();
  expect_revert(r1, "PR0", "recordReceipt", receipt_args(1, 0x72, AbiValue::uint(41)),
                "has paid 60 of its total 100; amount 41 would exceed");
  EXPECT_EQ(view("PR0", "getBatch", {AbiValue::bytes(filled(1))}).value(), before);
  EXPECT_FALSE(view("PR0", "getReceipt", {AbiValue::bytes(filled(0x72))}));

  // uint256: a sum past 2^256 - 1 is refused, never wrapped.
  ASSERT_TRUE(run(r1, "PR0", "recordBatch", batch_args(2, AbiValue::word(max_word()))).success);
  ASSERT_TRUE(run(r1, "PR0", "recordReceipt", receipt_args(2, 0x73, AbiValue::uint(2))).success);
  expect_revert(r1, "PR0", "recordReceipt", receipt_args(2, 0x74, AbiValue::word(max_word())),
                "over-payment refused");
  AbiWord rest = max_word();
  rest[31] = 0xfd;  // 2^256 - 3: with the 2 paid, exactly the total
  Receipt settled = run(r1, "PR0", "recordReceipt", receipt_args(2, 0x74, AbiValue::word(rest)));
  ASSERT_TRUE(settled.success) << settled.error;
  EXPECT_EQ(settled.logs.size(), 2u);
  EXPECT_EQ(view("PR0", "getBatch", {AbiValue::bytes(filled(2))}).value()[4], AbiValue::word(max_word()));
}

TEST_F(PayoutRouterTest, ReceiptsSettleABatchAtItsTotal) {
  add_recorder("PR0", r1);
  ASSERT_TRUE(run(r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100))).success);
  Receipt partial = run(r1, "PR0", "recordReceipt", receipt_args(1, 0x71, AbiValue::uint(60)));
  ASSERT_TRUE(partial.success) << partial.error;
  ASSERT_EQ(partial.logs.size(), 1u);  // ReceiptRecorded only
  const ContractAbi& abi = embedded_abi("PR0");
  EXPECT_EQ(decode_event(*abi.event("ReceiptRecorded"), partial.logs[0].log).value(),
            receipt_args(1, 0x71, AbiValue::uint(60)));
  auto batch = view("PR0", "getBatch", {AbiValue::bytes(filled(1))}).value();
  EXPECT_EQ(batch[4], AbiValue::uint(60));
  EXPECT_EQ(batch[5], AbiValue::uint(1));
  EXPECT_EQ(batch[6], AbiValue::boolean(false));

  Receipt last = run(r1, "PR0", "recordReceipt", receipt_args(1, 0x72, AbiValue::uint(40)));
  ASSERT_TRUE(last.success) << last.error;
  ASSERT_EQ(last.logs.size(), 2u);
  EXPECT_EQ(last.logs[0].log.topics[0], abi.event("ReceiptRecorded")->topic());
  EXPECT_EQ(decode_event(*abi.event("BatchSettled"), last.logs[1].log).value(),
            (Values{AbiValue::bytes(filled(1)), AbiValue::uint(100), AbiValue::uint(2)}));
  batch = view("PR0", "getBatch", {AbiValue::bytes(filled(1))}).value();
  EXPECT_EQ(batch[4], AbiValue::uint(100));
  EXPECT_EQ(batch[5], AbiValue::uint(2));
  EXPECT_EQ(batch[6], AbiValue::boolean(true));
  EXPECT_EQ(view("PR0", "getReceipt", {AbiValue::bytes(filled(0x72))}).value(),
            (Values{AbiValue::bytes(filled(1)), AbiValue::uint(40), AbiValue::uint(height)}));

  expect_revert(r1, "PR0", "recordReceipt", receipt_args(1, 0x73, AbiValue::uint(1)), "is settled");
}

TEST(PayoutRouterDeterminism, TheSameTransactionsGiveTheSameRootTwice) {
  auto g1 = test_client::fixed_key(0x01);
  auto r1 = test_client::fixed_key(0x21);
  auto proposer = test_client::fixed_key(0x11);
  const Bytes recorder(r1.public_key().begin(), r1.public_key().end());
  auto run_chain = [&](const Vm& vm) {
    State state;
    std::vector<Transaction> txs{
        make_call(state, g1, "PR0", "addRecorder", {AbiValue::bytes(recorder)}, 0),
        make_call(state, g1, "PRKYC", "addRecorder", {AbiValue::bytes(recorder)}, 1),
        make_call(state, r1, "PR0", "recordBatch", batch_args(1, AbiValue::uint(100)), 0),
        make_call(state, r1, "PRKYC", "recordBatch", batch_args(1, AbiValue::uint(50), 202701, 0xc1), 1),
        make_call(state, r1, "PR0", "recordReceipt", receipt_args(1, 0x71, AbiValue::uint(100)), 2),
        make_call(state, r1, "PR0", "recordReceipt", receipt_args(1, 0x72, AbiValue::uint(1)), 3),  // reverts
        make_call(state, r1, "PRKYC", "recordReceipt", receipt_args(1, 0x71, AbiValue::uint(20)), 4),
    };
    Block block = make_block("lucid-test", 1, Hash{}, 1000, txs, proposer);
    auto receipts = vm.execute(state, block);
    return std::pair{state, receipts};
  };
  auto [state_a, receipts_a] = run_chain(Vm({g1.public_key()}));
  auto [state_b, receipts_b] = run_chain(Vm({g1.public_key()}));
  EXPECT_EQ(state_a.root(), state_b.root());
  EXPECT_EQ(state_a.entries(), state_b.entries());
  EXPECT_NE(state_a.root(), State().root());
  ASSERT_EQ(receipts_a.size(), 7u);
  for (std::size_t i = 0; i < receipts_a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(receipts_a[i].success, i != 5) << receipts_a[i].error;
    EXPECT_EQ(receipts_a[i].success, receipts_b[i].success);
    EXPECT_EQ(receipts_a[i].gas_used, receipts_b[i].gas_used);
    EXPECT_EQ(receipts_a[i].logs.size(), receipts_b[i].logs.size());
  }
  // One more receipt changes the root: it depends on what was recorded.
  State state_c = state_a;
  Vm vm({g1.public_key()});
  Receipt more = vm.apply(
      state_c, make_call(state_c, r1, "PRKYC", "recordReceipt", receipt_args(1, 0x72, AbiValue::uint(30))), 2,
      2000);
  ASSERT_TRUE(more.success) << more.error;
  EXPECT_NE(state_c.root(), state_a.root());
}

}  // namespace
}  // namespace lucid::chain
