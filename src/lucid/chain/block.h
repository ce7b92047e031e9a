// Blocks, validator votes and the genesis of the data chain (docs/formats.md "Data chain:
// transactions, blocks, votes"). A block's hash covers its header, which commits to its
// transactions through a BLAKE3 Merkle root over their hashes; the proposer signs the header. A vote
// is a validator's signature of the state root it computed after executing a block.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/chain/transaction.h"
#include "lucid/crypto/ed25519.h"

namespace lucid::chain {

inline constexpr std::size_t kMaxBlockTransactions = 1000;
inline constexpr std::size_t kMaxValidators = 64;

struct Genesis {
  std::string chain_id;
  std::vector<crypto::Ed25519PublicKey> validators;  // distinct, at least one
  std::uint64_t time_ms = 0;
};

// "lucid-chain-genesis-v1\n" ‖ canonical JSON; BLAKE3 of it is block 1's `previous`.
Hash genesis_hash(const Genesis& genesis);
nlohmann::json genesis_to_json(const Genesis& genesis);
Result<Genesis> parse_genesis(const nlohmann::json& json, const std::string& path = "genesis");
// Votes needed for finality: at least two thirds of the validator set (2 of 3, 3 of 4, 5 of 7). Two
// different roots at one height could only both reach it if a validator signed both, which an
// honest validator never does (docs/chain.md, fault model).
std::size_t finality_quorum(std::size_t validators);

struct BlockHeader {
  std::string chain_id;
  std::uint64_t height = 0;  // 1 for the first block after genesis
  Hash previous{};           // the previous block's hash (genesis_hash for height 1)
  crypto::Ed25519PublicKey proposer{};
  std::uint64_t time_ms = 0;  // the proposer's clock; never below the previous block's
  Hash tx_root{};             // block_tx_root(transactions)
  std::uint64_t tx_count = 0;
};

struct Block {
  BlockHeader header;
  std::vector<Transaction> transactions;
  crypto::Ed25519Signature signature{};  // the proposer's, over the header's signing bytes
};

// The Merkle root (docs/formats.md §1) whose leaves are the transaction hashes.
Hash block_tx_root(const std::vector<Transaction>& transactions);
// "lucid-chain-block-v1\n" ‖ canonical JSON of the header.
std::string block_signing_bytes(const BlockHeader& header);
Hash block_hash(const BlockHeader& header);
// Fills tx_root, tx_count and proposer from the arguments and signs.
Block make_block(std::string chain_id, std::uint64_t height, const Hash& previous, std::uint64_t time_ms,
                 std::vector<Transaction> transactions, const crypto::Ed25519KeyPair& proposer);
// What a block must satisfy on its own: its proposer's signature, tx root and count, every
// transaction's chain id and signature. (Height, previous and the proposer's right to propose
// depend on the chain and are checked by the validator.)
Status check_block(const Block& block);

nlohmann::json block_to_json(const Block& block);
Result<Block> parse_block(const nlohmann::json& json, const std::string& path = "block");

struct Vote {
  std::string chain_id;
  std::uint64_t height = 0;
  Hash block{};       // the block's hash
  Hash state_root{};  // the state root after executing it
  crypto::Ed25519PublicKey validator{};
  crypto::Ed25519Signature signature{};
};

std::string vote_signing_bytes(const Vote& vote);
Vote make_vote(std::string chain_id, std::uint64_t height, const Hash& block, const Hash& state_root,
               const crypto::Ed25519KeyPair& validator);
bool vote_signature_valid(const Vote& vote);
nlohmann::json vote_to_json(const Vote& vote);
Result<Vote> parse_vote(const nlohmann::json& json, const std::string& path = "vote");

}  // namespace lucid::chain
