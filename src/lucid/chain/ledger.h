// One validator's view of the chain: the ordered blocks it has checked and executed, the state they
// lead to, every receipt, and the validators' votes with the finality they give (docs/chain.md).
// It decides nothing about ordering (etcd does) and touches no network: the validator feeds it blocks
// and votes in the order etcd delivers them, and it says what they mean. Deterministic, so that every
// honest validator reaches the same state root and the same verdicts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/chain/block.h"
#include "lucid/chain/snapshot.h"
#include "lucid/chain/state.h"
#include "lucid/chain/vm.h"

namespace lucid::chain {

// Something an honest validator must never see, with what proves it (docs/chain.md "Safety before
// liveness"). Kinds: "invalid-block" (a block that does not extend the chain or does not verify),
// "block-rewritten" (a second, different block at a height), "state-root-mismatch" (two thirds
// signed a root this validator did not compute), "equivocation" (a validator signed two roots at
// one height), "vote-for-unknown-block" (a vote whose block hash is not the block at its height).
struct Incident {
  std::string kind;
  std::uint64_t height = 0;
  std::string detail;                   // one line: what differs, with the hashes
  std::vector<std::string> validators;  // hex public keys of the signers involved
  bool halts = false;                   // true when this validator must stop executing and voting
};

nlohmann::json incident_to_json(const Incident& incident);

struct ExecutedBlock {
  Block block;
  Hash hash{};
  Hash state_root{};  // after executing it
  std::vector<Receipt> receipts;
  // Votes by validator (hex public key) for this height, whatever root they name.
  std::map<std::string, Vote> votes;
  bool final = false;  // two thirds signed this block and this validator's root
  bool mismatch_reported = false;
};

// Where a transaction landed.
struct TransactionLocation {
  std::uint64_t height = 0;
  std::size_t index = 0;
};

class Ledger {
 public:
  Ledger(Genesis genesis, const Vm& vm);
  // A ledger that starts after `snapshot` (a state two thirds signed at its height, so final) instead
  // of genesis: blocks up to the snapshot's height are absent. Refused for another chain.
  static Result<Ledger> from_snapshot(Genesis genesis, const Vm& vm, const Snapshot& snapshot);

  // Checks that `block` extends the chain (height, previous hash, chain id, a proposer from the
  // validator set, time not before its parent's, signatures and tx root) and executes it. A block at a
  // height already executed is accepted again only when identical (etcd may deliver it twice); a
  // different one is an incident. Nothing changes when it fails. On success, returns the incidents
  // revealed by votes that had arrived before the block.
  std::expected<std::vector<Incident>, Incident> append(const Block& block);

  // Records a validator's vote. Votes for heights not executed yet are kept until their block is.
  // Returns the incidents the vote reveals (empty when none); one with `halts` means this validator's
  // own execution disagrees with two thirds of the validator set.
  std::vector<Incident> add_vote(const Vote& vote);

  std::uint64_t height() const { return base_height_ + blocks_.size(); }
  // The height the ledger started after: 0, or a snapshot's.
  std::uint64_t base_height() const { return base_height_; }
  // The hash of the block at the head (before the first block: the genesis hash, or the snapshot's block).
  const Hash& head_hash() const { return blocks_.empty() ? base_hash_ : blocks_.back().hash; }
  std::uint64_t head_time_ms() const {
    return blocks_.empty() ? base_time_ms_ : blocks_.back().block.header.time_ms;
  }
  // The state root at the head.
  Hash head_state_root() const { return blocks_.empty() ? state_.root() : blocks_.back().state_root; }
  // The highest height up to which every block is final (0: none).
  std::uint64_t final_height() const { return final_height_; }
  // The state at the head, and at the final height (what proofs are made against).
  const State& state() const { return state_; }
  const State& final_state() const { return final_state_; }
  // The state at the final height as a snapshot (docs/formats.md "Data chain: snapshots"); nullopt
  // while no block above the base is final.
  std::optional<Snapshot> final_snapshot() const;
  const Genesis& genesis() const { return genesis_; }
  const Vm& vm() const { return vm_; }

  // nullptr for heights not executed here (above the head, or at or below the base).
  const ExecutedBlock* block(std::uint64_t height) const;
  std::optional<TransactionLocation> find_transaction(const Hash& tx) const;
  bool is_validator(const crypto::Ed25519PublicKey& key) const;
  std::size_t quorum() const { return quorum_; }

 private:
  std::expected<void, Incident> check_extends(const Block& block, const Hash& hash) const;
  // The executed block at `height` (base_height_ < height <= height()).
  ExecutedBlock& at(std::uint64_t height) { return blocks_[height - base_height_ - 1]; }
  // Keeps a valid vote (true when it is new); adds the incidents it reveals on its own.
  bool record_vote(const Vote& vote, std::vector<Incident>& incidents);
  // Re-evaluates the finality of `height` from its votes.
  std::vector<Incident> settle(std::uint64_t height);
  void advance_final_height();

  Genesis genesis_;
  std::uint64_t base_height_ = 0;
  Hash base_hash_{};  // the genesis hash, or the snapshot's block
  std::uint64_t base_time_ms_ = 0;
  const Vm& vm_;
  std::set<crypto::Ed25519PublicKey> validators_;
  std::size_t quorum_;
  State state_;
  State final_state_;
  std::vector<ExecutedBlock> blocks_;  // blocks_[h - base_height_ - 1] is height h
  std::map<Hash, TransactionLocation> transactions_;
  std::map<std::uint64_t, std::vector<Vote>> early_votes_;  // votes for heights not executed yet
  std::uint64_t final_height_ = 0;
};

}  // namespace lucid::chain
