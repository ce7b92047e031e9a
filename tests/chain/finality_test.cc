// The Ledger: what one validator accepts as the chain and what it takes as final. Blocks that do not
// extend the chain (a tampered transaction, a wrong parent, a proposer outside the validator set, a
// clock going back, a second block at a height) are incidents that halt, and change nothing; two
// thirds of the votes on this validator's root make a block final, on another root an incident.
#include <gtest/gtest.h>

#include "chain_client.h"

#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/ledger.h"
#include "lucid/chain/param_registry.h"
#include "lucid/chain/snapshot.h"
#include "lucid/crypto/merkle.h"

namespace lucid::chain {
namespace {

class LedgerTest : public ::testing::Test {
 protected:
  LedgerTest() : vm(std::vector{v1.public_key(), v2.public_key(), v3.public_key()}), ledger(genesis(), vm) {}

  Genesis genesis() const {
    return Genesis{"lucid-test", {v1.public_key(), v2.public_key(), v3.public_key()}, 1000};
  }

  Transaction anchor_tx(std::uint8_t session, std::uint64_t nonce) const {
    const AbiFunction* anchor = embedded_abi("AnchorRegistry").function("anchor");
    std::vector<AbiValue> arguments{AbiValue::bytes(Bytes(16, session)), AbiValue::bytes(Bytes(32, 0x4d)),
                                    AbiValue::bytes(Bytes(32, 0x52)),    AbiValue::uint(3),
                                    AbiValue::uint(1796000000),          AbiValue::bytes(Bytes(32, 0xee))};
    Transaction tx{"lucid-test", {}, nonce, "AnchorRegistry", encode_call(*anchor, arguments).value(), {}};
    sign_transaction(tx, sender);
    return tx;
  }

  Block next_block(std::vector<Transaction> txs, const crypto::Ed25519KeyPair& proposer) const {
    return make_block("lucid-test", ledger.height() + 1, ledger.head_hash(), ledger.head_time_ms() + 10,
                      std::move(txs), proposer);
  }

  Vote vote_for(std::uint64_t height, const crypto::Ed25519KeyPair& validator,
                std::optional<Hash> root = std::nullopt) const {
    const ExecutedBlock& executed = *ledger.block(height);
    return make_vote("lucid-test", height, executed.hash, root.value_or(executed.state_root), validator);
  }

  crypto::Ed25519KeyPair v1 = test_client::fixed_key(1), v2 = test_client::fixed_key(2),
                         v3 = test_client::fixed_key(3), outsider = test_client::fixed_key(9),
                         sender = test_client::fixed_key(0xa1);
  Vm vm;
  Ledger ledger;
};

TEST_F(LedgerTest, TwoOfThreeVotesOnItsRootMakeABlockFinalAndItsAnchorProvable) {
  ASSERT_TRUE(ledger.append(next_block({anchor_tx(7, 0)}, v1)).has_value());
  ASSERT_EQ(ledger.height(), 1u);
  EXPECT_TRUE(ledger.block(1)->receipts.at(0).success) << ledger.block(1)->receipts.at(0).error;
  EXPECT_EQ(ledger.final_height(), 0u);
  EXPECT_TRUE(ledger.add_vote(vote_for(1, v1)).empty());
  EXPECT_EQ(ledger.final_height(), 0u) << "one vote of three is not final";
  EXPECT_TRUE(ledger.add_vote(vote_for(1, v2)).empty());
  EXPECT_EQ(ledger.final_height(), 1u);
  EXPECT_TRUE(ledger.block(1)->final);
  // The final state is the head's, and the anchor's entry proves against the signed root.
  EXPECT_EQ(ledger.final_state().root(), ledger.block(1)->state_root);
  const std::string key_text = "AnchorRegistry/" + AnchorRegistry::anchor_key(Bytes(16, 7));
  auto proof = ledger.final_state().prove(key_text);
  ASSERT_TRUE(proof.has_value());
  const auto& value = ledger.final_state().entries().find(key_text)->second;
  EXPECT_TRUE(crypto::merkle_verify_inclusion(ledger.block(1)->state_root, State::entry_leaf(key_text, value),
                                              proof->index, proof->size, proof->path));
  auto located = ledger.find_transaction(ledger.block(1)->receipts[0].transaction);
  ASSERT_TRUE(located.has_value());
  EXPECT_EQ(located->height, 1u);
}

TEST_F(LedgerTest, VotesThatArriveBeforeTheirBlockCountWhenItIsExecuted) {
  Ledger follower(genesis(), vm);
  Block block = next_block({anchor_tx(1, 0)}, v2);
  ASSERT_TRUE(ledger.append(block).has_value());
  EXPECT_TRUE(follower.add_vote(vote_for(1, v1)).empty());
  EXPECT_TRUE(follower.add_vote(vote_for(1, v3)).empty());
  auto appended = follower.append(block);
  ASSERT_TRUE(appended.has_value());
  EXPECT_TRUE(appended->empty());
  EXPECT_EQ(follower.final_height(), 1u);
}

TEST_F(LedgerTest, ATamperedTransactionIsRefusedAndHaltsWithoutChangingAnything) {
  Block block = next_block({anchor_tx(1, 0)}, v1);
  block.transactions[0].data.back() ^= 1;  // after signing: the signature and the tx root no longer hold
  const Hash root_before = ledger.state().root();
  auto outcome = ledger.append(block);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().kind, "invalid-block");
  EXPECT_TRUE(outcome.error().halts);
  EXPECT_EQ(outcome.error().height, 1u);
  EXPECT_EQ(ledger.height(), 0u);
  EXPECT_EQ(ledger.state().root(), root_before);
}

TEST_F(LedgerTest, BlocksThatDoNotExtendTheChainAreIncidents) {
  ASSERT_TRUE(ledger.append(next_block({anchor_tx(1, 0)}, v1)).has_value());
  struct Case {
    std::string name;
    Block block;
    std::string expect;
  };
  Block wrong_parent = make_block("lucid-test", 2, Hash{}, 5000, {anchor_tx(2, 1)}, v1);
  Block outsider_block = next_block({anchor_tx(2, 1)}, outsider);
  Block back_in_time = make_block("lucid-test", 2, ledger.head_hash(), 1, {anchor_tx(2, 1)}, v1);
  Block skipping = make_block("lucid-test", 3, ledger.head_hash(), 5000, {anchor_tx(2, 1)}, v1);
  Block other_chain = make_block("other-chain", 2, ledger.head_hash(), 5000, {}, v1);
  for (const Case& c : std::vector<Case>{{"wrong parent", wrong_parent, "is not the head"},
                                         {"outsider", outsider_block, "not in the validator set"},
                                         {"back in time", back_in_time, "before its parent"},
                                         {"skipping a height", skipping, "the next height is 2"},
                                         {"other chain", other_chain, "is not this chain's"}}) {
    auto outcome = ledger.append(c.block);
    ASSERT_FALSE(outcome.has_value()) << c.name;
    EXPECT_EQ(outcome.error().kind, "invalid-block") << c.name;
    EXPECT_NE(outcome.error().detail.find(c.expect), std::string::npos)
        << c.name << ": " << outcome.error().detail;
    EXPECT_EQ(ledger.height(), 1u) << c.name;
  }
}

TEST_F(LedgerTest, ASecondDifferentBlockAtAHeightIsARewriteAndTheSameBlockTwiceIsNothing) {
  Block first = next_block({anchor_tx(1, 0)}, v1);
  ASSERT_TRUE(ledger.append(first).has_value());
  EXPECT_TRUE(ledger.append(first).has_value()) << "etcd may deliver a block twice";
  Block other = make_block("lucid-test", 1, genesis_hash(genesis()), 2000, {anchor_tx(2, 0)}, v2);
  auto outcome = ledger.append(other);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().kind, "block-rewritten");
  EXPECT_TRUE(outcome.error().halts);
}

TEST_F(LedgerTest, TwoThirdsOnAnotherRootIsAMismatchThatHalts) {
  ASSERT_TRUE(ledger.append(next_block({anchor_tx(1, 0)}, v1)).has_value());
  Hash other{};
  other.fill(0x77);
  EXPECT_TRUE(ledger.add_vote(vote_for(1, v2, other)).empty());
  auto incidents = ledger.add_vote(vote_for(1, v3, other));
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind, "state-root-mismatch");
  EXPECT_TRUE(incidents[0].halts);
  EXPECT_EQ(incidents[0].validators.size(), 2u);
  EXPECT_EQ(ledger.final_height(), 0u);
}

TEST_F(LedgerTest, AValidatorSigningTwoRootsIsCaughtAndOutsidersCountForNothing) {
  ASSERT_TRUE(ledger.append(next_block({anchor_tx(1, 0)}, v1)).has_value());
  EXPECT_TRUE(ledger.add_vote(vote_for(1, v2)).empty());
  Hash other{};
  other.fill(0x55);
  auto incidents = ledger.add_vote(vote_for(1, v2, other));
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind, "equivocation");
  EXPECT_FALSE(incidents[0].halts);
  // A vote by a key outside the set, or with a broken signature, is no vote.
  EXPECT_TRUE(ledger.add_vote(vote_for(1, outsider)).empty());
  Vote forged = vote_for(1, v3);
  forged.signature[0] ^= 1;
  EXPECT_TRUE(ledger.add_vote(forged).empty());
  EXPECT_EQ(ledger.final_height(), 0u);
  EXPECT_TRUE(ledger.add_vote(vote_for(1, v3)).empty());
  EXPECT_EQ(ledger.final_height(), 1u);
}

Snapshot snapshot_at_final(const Ledger& ledger) {
  const ExecutedBlock& block = *ledger.block(ledger.final_height());
  return Snapshot{"lucid-test",     ledger.final_height(), block.hash, block.block.header.time_ms,
                  block.state_root, ledger.final_state()};
}

void finalize(Ledger& ledger, std::uint64_t height, const crypto::Ed25519KeyPair& a,
              const crypto::Ed25519KeyPair& b) {
  const ExecutedBlock& executed = *ledger.block(height);
  for (const auto* key : {&a, &b})
    ledger.add_vote(make_vote("lucid-test", height, executed.hash, executed.state_root, *key));
}

TEST_F(LedgerTest, ALedgerFromASnapshotReachesTheSameRootsAsOneFromGenesis) {
  std::vector<Block> blocks;
  for (std::uint8_t s = 1; s <= 4; ++s) {
    blocks.push_back(next_block({anchor_tx(s, s - 1)}, s % 2 == 0 ? v1 : v2));
    ASSERT_TRUE(ledger.append(blocks.back()).has_value());
    if (s <= 2) finalize(ledger, s, v1, v3);
  }
  ASSERT_EQ(ledger.final_height(), 2u);
  auto decoded = decode_snapshot(encode_snapshot(snapshot_at_final(ledger)));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded->height, 2u);
  auto replay = Ledger::from_snapshot(genesis(), vm, *decoded);
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(replay->final_height(), 2u);
  ASSERT_TRUE(replay->append(blocks[0]).has_value()) << "blocks below the snapshot are no-ops";
  for (std::size_t i = 2; i < blocks.size(); ++i) ASSERT_TRUE(replay->append(blocks[i]).has_value());
  EXPECT_EQ(replay->height(), 4u);
  EXPECT_EQ(replay->head_state_root(), ledger.head_state_root());
  finalize(*replay, 4, v2, v3);
  EXPECT_EQ(replay->final_height(), 2u) << "height 3 has no votes yet";
  finalize(*replay, 3, v2, v3);
  EXPECT_EQ(replay->final_height(), 4u);
  EXPECT_EQ(replay->final_state().root(), ledger.head_state_root());
  EXPECT_FALSE(Ledger::from_snapshot(Genesis{"other-chain", {v1.public_key()}, 0}, vm, *decoded).has_value());
}

TEST_F(LedgerTest, ASnapshotWithAFlippedByteOrAForgedEntryIsRefused) {
  ASSERT_TRUE(ledger.append(next_block({anchor_tx(1, 0)}, v1)).has_value());
  finalize(ledger, 1, v1, v2);
  const std::string bytes = encode_snapshot(snapshot_at_final(ledger));
  ASSERT_TRUE(decode_snapshot(bytes).has_value());
  // Any flipped byte: the checksum (or, in the checksum itself, the comparison) refuses it.
  for (std::size_t at : {std::size_t{3}, bytes.size() / 2, bytes.size() - 40, bytes.size() - 1}) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
    auto decoded = decode_snapshot(flipped, "s.snap");
    ASSERT_FALSE(decoded.has_value()) << "byte " << at;
    EXPECT_EQ(decoded.error().kind, ErrorKind::kCorrupt);
    EXPECT_NE(decoded.error().message.find("s.snap"), std::string::npos);
  }
  // A forger who rewrites an entry and the checksum is caught by the state root.
  Snapshot forged = snapshot_at_final(ledger);
  const std::string key = forged.state.entries().begin()->first;
  forged.state.put(key, Bytes{1, 2, 3});
  auto decoded = decode_snapshot(encode_snapshot(forged));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().message.find("not the state root"), std::string::npos) << decoded.error().message;
  EXPECT_FALSE(decode_snapshot(bytes.substr(0, bytes.size() - 50)).has_value()) << "truncated";
}

// Governance hooks: a parameter executed at height h is in force from block h + 1 on, for every
// validator. maxBlockTransactions bounds the blocks a validator accepts (a larger one is an
// invalid-block incident), anchorChunksPerCall the leaf hashes of one anchorChunks call.
TEST_F(LedgerTest, ParametersExecutedByGovernanceBoundBlocksAndChunkAnchorsFromTheNextBlock) {
  auto call = [&](const crypto::Ed25519KeyPair& from, const std::string& contract,
                  const std::string& function, std::vector<AbiValue> arguments) {
    Transaction tx{"lucid-test",
                   {},
                   Vm::next_nonce(ledger.state(), from.public_key()),
                   contract,
                   encode_call(*embedded_abi(contract).function(function), arguments).value(),
                   {}};
    sign_transaction(tx, from);
    return tx;
  };
  auto append = [&](std::vector<Transaction> txs) {
    auto appended = ledger.append(next_block(std::move(txs), v1));
    ASSERT_TRUE(appended.has_value()) << appended.error().detail;
    for (const Receipt& receipt : ledger.block(ledger.height())->receipts)
      ASSERT_TRUE(receipt.success) << receipt.error;
  };
  // Proposals 1 and 2, approved by two of three governors at heights 2 and 3, executable from 12 and 13.
  append({call(v1, "Governance", "propose",
               {AbiValue::bytes(param_name_word(Param::kMaxTransactionsPerBlock)), AbiValue::uint(2)}),
          call(v2, "Governance", "propose",
               {AbiValue::bytes(param_name_word(Param::kAnchorChunksPerCall)), AbiValue::uint(2)})});
  append({call(v1, "Governance", "vote", {AbiValue::uint(1), AbiValue::boolean(true)}),
          call(v2, "Governance", "vote", {AbiValue::uint(1), AbiValue::boolean(true)}),
          call(v3, "Governance", "vote", {AbiValue::uint(2), AbiValue::boolean(true)})});
  append({call(v1, "Governance", "vote", {AbiValue::uint(2), AbiValue::boolean(true)}),
          anchor_tx(4, 0)});  // session 4 has 3 chunks
  while (ledger.height() < 12) append({});
  append({call(v3, "Governance", "execute", {AbiValue::uint(1)}),
          call(v2, "Governance", "execute", {AbiValue::uint(2)}), anchor_tx(5, 1)});
  ASSERT_EQ(param_value(ledger.state(), Param::kMaxTransactionsPerBlock).value(), 2u);

  // Three transactions were fine at height 13; from 14 on a block of three is refused, unchanged.
  const Hash head = ledger.head_hash();
  auto chunks = [&](std::size_t n) {
    std::vector<AbiValue> leaves(n, AbiValue::bytes(Bytes(32, 0x11)));
    return call(sender, "AnchorRegistry", "anchorChunks",
                {AbiValue::bytes(Bytes(16, 4)), AbiValue::uint(0), AbiValue::list(std::move(leaves))});
  };
  auto too_big = ledger.append(next_block({anchor_tx(6, 2), anchor_tx(7, 3), anchor_tx(8, 4)}, v1));
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().kind, "invalid-block");
  EXPECT_NE(too_big.error().detail.find("more than maxBlockTransactions 2"), std::string::npos)
      << too_big.error().detail;
  EXPECT_EQ(ledger.head_hash(), head);

  // Three leaf hashes in one call revert at the new limit; two are anchored.
  ASSERT_TRUE(ledger.append(next_block({chunks(3)}, v1)).has_value());
  const Receipt& refused = ledger.block(ledger.height())->receipts.at(0);
  EXPECT_FALSE(refused.success);
  EXPECT_NE(refused.error.find("1 to 2 leaf hashes per call"), std::string::npos) << refused.error;
  append({chunks(2)});
}

}  // namespace
}  // namespace lucid::chain
