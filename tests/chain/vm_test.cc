// The VM and AnchorRegistry: anchoring once, chunk anchors by the submitter only and within the
// session, nonces, reverts that keep nothing but the nonce, gas limits, view calls, and state proofs.
#include <gtest/gtest.h>

#include "chain_client.h"

#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/vm.h"
#include "lucid/crypto/merkle.h"

namespace lucid::chain {
namespace {

using Values = std::vector<AbiValue>;

Bytes filled(std::uint8_t b, std::size_t n) {
  return Bytes(n, b);
}

class AnchorRegistryTest : public ::testing::Test {
 protected:
  Transaction call(const crypto::Ed25519KeyPair& sender, const std::string& function, const Values& arguments,
                   std::optional<std::uint64_t> nonce = std::nullopt) {
    const AbiFunction* target = embedded_abi("AnchorRegistry").function(function);
    Transaction tx{"lucid-test",
                   {},
                   nonce.value_or(Vm::next_nonce(state, sender.public_key())),
                   "AnchorRegistry",
                   encode_call(*target, arguments).value(),
                   {}};
    sign_transaction(tx, sender);
    return tx;
  }
  Receipt run(const Transaction& tx) {
    ++height;
    return vm.apply(state, tx, height, 1000 * height);
  }

  Values anchor_args(std::uint8_t session, std::uint64_t chunks = 3) {
    return {AbiValue::bytes(filled(session, 16)), AbiValue::bytes(filled(0x4d, 32)),
            AbiValue::bytes(filled(0x52, 32)),    AbiValue::uint(chunks),
            AbiValue::uint(1796000000),           AbiValue::bytes(filled(0xee, 32))};
  }
  Values chunk_args(std::uint8_t session, std::uint64_t first, std::size_t n) {
    Values leaves;
    for (std::size_t i = 0; i < n; ++i) {
      leaves.push_back(AbiValue::bytes(filled(static_cast<std::uint8_t>(i), 32)));
    }
    return {AbiValue::bytes(filled(session, 16)), AbiValue::uint(first), AbiValue::list(std::move(leaves))};
  }

  State state;
  Vm vm;
  std::uint64_t height = 0;
  crypto::Ed25519KeyPair alice = test_client::fixed_key(0xa1);
  crypto::Ed25519KeyPair bob = test_client::fixed_key(0xb0);
};

TEST_F(AnchorRegistryTest, ASessionIsAnchoredOnceAndReadBack) {
  Receipt first = run(call(alice, "anchor", anchor_args(1)));
  ASSERT_TRUE(first.success) << first.error;
  ASSERT_EQ(first.logs.size(), 1u);
  EXPECT_EQ(first.logs[0].log.topics[0], embedded_abi("AnchorRegistry").event("Anchored")->topic());
  EXPECT_GT(first.gas_used, vm.gas().transaction + vm.gas().storage_write);

  Hash root = state.root();
  Receipt again = run(call(bob, "anchor", anchor_args(1)));
  EXPECT_FALSE(again.success);
  EXPECT_NE(again.error.find("already anchored"), std::string::npos) << again.error;
  EXPECT_TRUE(again.logs.empty());
  EXPECT_EQ(Vm::next_nonce(state, bob.public_key()), 1u);  // the revert still spends the nonce
  EXPECT_NE(state.root(), root);                           // ... and only that changed
  EXPECT_EQ(state.entries().size(), 3u);                   // anchor + two nonces

  const AbiFunction* get = embedded_abi("AnchorRegistry").function("getAnchor");
  auto output = vm.view(state, "AnchorRegistry",
                        encode_call(*get, Values{AbiValue::bytes(filled(1, 16))}).value(), height);
  ASSERT_TRUE(output) << output.error().message;
  std::vector<AbiType> types;
  for (const AbiParam& p : get->outputs) {
    types.push_back(p.type);
  }
  auto values = abi_decode(types, *output).value();
  EXPECT_EQ(values[0], AbiValue::bytes(filled(0x4d, 32)));
  EXPECT_EQ(values[2], AbiValue::uint(3));
  EXPECT_EQ(values[5], AbiValue::uint(1));  // the height it was anchored at

  auto missing = vm.view(state, "AnchorRegistry",
                         encode_call(*get, Values{AbiValue::bytes(filled(9, 16))}).value(), height);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("not anchored"), std::string::npos);
  auto write_as_view = vm.view(
      state, "AnchorRegistry",
      encode_call(*embedded_abi("AnchorRegistry").function("anchor"), anchor_args(2)).value(), height);
  EXPECT_FALSE(write_as_view);
}

TEST_F(AnchorRegistryTest, ChunksOnlyBySubmitterWithinTheSessionAndEachOnce) {
  ASSERT_TRUE(run(call(alice, "anchor", anchor_args(1, 4))).success);
  Receipt by_other = run(call(bob, "anchorChunks", chunk_args(1, 0, 2)));
  EXPECT_FALSE(by_other.success);
  EXPECT_NE(by_other.error.find("submitter"), std::string::npos) << by_other.error;
  Receipt ok = run(call(alice, "anchorChunks", chunk_args(1, 0, 2)));
  EXPECT_TRUE(ok.success) << ok.error;
  Receipt overlap = run(call(alice, "anchorChunks", chunk_args(1, 1, 2)));
  EXPECT_FALSE(overlap.success);
  EXPECT_NE(overlap.error.find("already anchored"), std::string::npos) << overlap.error;
  Receipt beyond = run(call(alice, "anchorChunks", chunk_args(1, 3, 2)));
  EXPECT_FALSE(beyond.success);
  EXPECT_NE(beyond.error.find("outside"), std::string::npos) << beyond.error;
  Receipt unknown = run(call(alice, "anchorChunks", chunk_args(7, 0, 1)));
  EXPECT_FALSE(unknown.success);
  EXPECT_NE(unknown.error.find("not anchored"), std::string::npos) << unknown.error;
}

TEST_F(AnchorRegistryTest, NoncesRefuseReplayAndGapsWithoutEffect) {
  Transaction tx = call(alice, "anchor", anchor_args(1));
  ASSERT_TRUE(run(tx).success);
  Hash root = state.root();
  Receipt replay = run(tx);
  EXPECT_FALSE(replay.success);
  EXPECT_NE(replay.error.find("nonce 0"), std::string::npos) << replay.error;
  Receipt gap = run(call(alice, "anchor", anchor_args(2), 5));
  EXPECT_FALSE(gap.success);
  EXPECT_EQ(state.root(), root);  // neither changed anything, not even the nonce
  EXPECT_EQ(gap.gas_used, 0u);
}

TEST_F(AnchorRegistryTest, OutOfGasRevertsEverything) {
  ASSERT_TRUE(run(call(alice, "anchor", anchor_args(1, 1024))).success);
  Hash root = state.root();
  // 1024 chunk writes at 20,000 gas each exceed the 10,000,000 limit.
  Receipt heavy = run(call(alice, "anchorChunks", chunk_args(1, 0, 1024)));
  EXPECT_FALSE(heavy.success);
  EXPECT_NE(heavy.error.find("out of gas"), std::string::npos) << heavy.error;
  EXPECT_EQ(heavy.gas_used, vm.gas().limit);
  EXPECT_EQ(state.entries().size(), 2u);  // the anchor and alice's nonce: no chunk was kept
  EXPECT_NE(state.root(), root);          // the nonce advanced
}

TEST_F(AnchorRegistryTest, BadCallsRevertWithTheReason) {
  Transaction unknown_contract = call(alice, "anchor", anchor_args(1));
  unknown_contract.contract = "Nothing";
  sign_transaction(unknown_contract, alice);
  Receipt r1 = run(unknown_contract);
  EXPECT_FALSE(r1.success);
  EXPECT_NE(r1.error.find("no contract named Nothing"), std::string::npos);

  Transaction bad_selector = call(alice, "anchor", anchor_args(1));
  bad_selector.data[0] ^= 0xff;
  sign_transaction(bad_selector, alice);
  Receipt r2 = run(bad_selector);
  EXPECT_FALSE(r2.success);
  EXPECT_NE(r2.error.find("no function with selector"), std::string::npos) << r2.error;

  Transaction zero_chunks = call(alice, "anchor", anchor_args(1, 0));
  Receipt r3 = run(zero_chunks);
  EXPECT_FALSE(r3.success);
  EXPECT_NE(r3.error.find("at least 1"), std::string::npos) << r3.error;
}

TEST_F(AnchorRegistryTest, AnAnchorHasAStateProofAgainstTheRoot) {
  ASSERT_TRUE(run(call(alice, "anchor", anchor_args(1))).success);
  ASSERT_TRUE(run(call(bob, "anchor", anchor_args(2))).success);
  std::string key = "AnchorRegistry/" + AnchorRegistry::anchor_key(filled(2, 16));
  auto proof = state.prove(key);
  ASSERT_TRUE(proof);
  Hash leaf = State::entry_leaf(key, *state.get(key));
  EXPECT_TRUE(crypto::merkle_verify_inclusion(state.root(), leaf, proof->index, proof->size, proof->path));
  Bytes forged = *state.get(key);
  forged[0] ^= 1;
  EXPECT_FALSE(crypto::merkle_verify_inclusion(state.root(), State::entry_leaf(key, forged), proof->index,
                                               proof->size, proof->path));
  EXPECT_FALSE(state.prove("AnchorRegistry/anchor/none"));
}

TEST_F(AnchorRegistryTest, TwoValidatorsExecutingOneBlockAgree) {
  auto proposer = test_client::fixed_key(0x11);
  std::vector<Transaction> txs{call(alice, "anchor", anchor_args(1)), call(bob, "anchor", anchor_args(1)),
                               call(alice, "anchorChunks", chunk_args(1, 0, 2), 1)};
  Block block = make_block("lucid-test", 1, Hash{}, 5000, txs, proposer);
  State a;
  State b;
  auto ra = vm.execute(a, block);
  auto rb = Vm().execute(b, block);
  EXPECT_EQ(a.root(), b.root());
  ASSERT_EQ(ra.size(), 3u);
  EXPECT_TRUE(ra[0].success);
  EXPECT_FALSE(ra[1].success);
  EXPECT_TRUE(ra[2].success) << ra[2].error;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    EXPECT_EQ(ra[i].gas_used, rb[i].gas_used);
    EXPECT_EQ(ra[i].output, rb[i].output);
  }
}

}  // namespace
}  // namespace lucid::chain
