#include "lucid/chain/ledger.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/chain/param_registry.h"

namespace lucid::chain {

namespace {

// Votes for heights further ahead than this are dropped, not kept: a validator far ahead will send
// them again when this one has caught up (it re-reads the votes after each block range), and a
// Byzantine one cannot fill memory with votes for heights that never come.
constexpr std::uint64_t kMaxEarlyVoteHeights = 4096;

Incident make_incident(std::string kind, std::uint64_t height, std::string detail,
                       std::vector<std::string> validators, bool halts) {
  return Incident{std::move(kind), height, std::move(detail), std::move(validators), halts};
}

}  // namespace

nlohmann::json incident_to_json(const Incident& incident) {
  return nlohmann::json{{"kind", incident.kind},
                        {"height", incident.height},
                        {"detail", incident.detail},
                        {"validators", incident.validators},
                        {"halts", incident.halts}};
}

Ledger::Ledger(Genesis genesis, const Vm& vm)
    : genesis_(std::move(genesis)),
      base_hash_(genesis_hash(genesis_)),
      base_time_ms_(genesis_.time_ms),
      vm_(vm),
      validators_(genesis_.validators.begin(), genesis_.validators.end()),
      quorum_(finality_quorum(genesis_.validators.size())) {}

Result<Ledger> Ledger::from_snapshot(Genesis genesis, const Vm& vm, const Snapshot& snapshot) {
  if (snapshot.chain_id != genesis.chain_id)
    return fail(ErrorKind::kInvalidArgument, fmt::format("the snapshot is of chain {:?}, the genesis of {:?}",
                                                         snapshot.chain_id, genesis.chain_id));
  Ledger ledger(std::move(genesis), vm);
  ledger.base_height_ = snapshot.height;
  ledger.base_hash_ = snapshot.block;
  ledger.base_time_ms_ = snapshot.time_ms;
  ledger.state_ = snapshot.state;
  ledger.final_state_ = snapshot.state;
  ledger.final_height_ = snapshot.height;
  return ledger;
}

bool Ledger::is_validator(const crypto::Ed25519PublicKey& key) const {
  return validators_.contains(key);
}

const ExecutedBlock* Ledger::block(std::uint64_t height) const {
  if (height <= base_height_ || height > this->height()) return nullptr;
  return &blocks_[height - base_height_ - 1];
}

std::optional<TransactionLocation> Ledger::find_transaction(const Hash& tx) const {
  auto it = transactions_.find(tx);
  if (it == transactions_.end()) return std::nullopt;
  return it->second;
}

std::expected<void, Incident> Ledger::check_extends(const Block& block, const Hash& hash) const {
  const BlockHeader& header = block.header;
  auto invalid = [&](std::string detail) {
    return std::unexpected(
        make_incident("invalid-block", header.height,
                      fmt::format("block {} at height {}: {}", to_hex(hash), header.height, detail),
                      {to_hex(header.proposer)}, true));
  };
  if (header.chain_id != genesis_.chain_id)
    return invalid(fmt::format("chain id {:?} is not this chain's {:?}", header.chain_id, genesis_.chain_id));
  if (header.height != height() + 1) return invalid(fmt::format("the next height is {}", height() + 1));
  if (header.previous != head_hash())
    return invalid(
        fmt::format("previous {} is not the head {}", to_hex(header.previous), to_hex(head_hash())));
  if (!is_validator(header.proposer)) return invalid("its proposer is not in the validator set");
  if (header.time_ms < head_time_ms())
    return invalid(fmt::format("time {} ms is before its parent's {} ms", header.time_ms, head_time_ms()));
  // The block size in force is ParamRegistry's maxBlockTransactions in the parent's state: a change
  // Governance executes at height h applies from block h + 1 on.
  auto in_force = param_value(state_, Param::kMaxTransactionsPerBlock);
  if (!in_force)
    return invalid(
        fmt::format("the state holds no valid maxBlockTransactions: {}", in_force.error().message));
  const std::uint64_t max_transactions = std::min<std::uint64_t>(*in_force, kMaxBlockTransactions);
  if (block.transactions.size() > max_transactions)
    return invalid(fmt::format("{} transactions, more than maxBlockTransactions {}",
                               block.transactions.size(), max_transactions));
  if (auto checked = check_block(block); !checked) return invalid(checked.error().message);
  return {};
}

std::expected<std::vector<Incident>, Incident> Ledger::append(const Block& block) {
  const Hash hash = block_hash(block.header);
  // Below a snapshot's height there is nothing to compare with: the snapshot's root was signed.
  if (block.header.height <= base_height_) return std::vector<Incident>{};
  if (block.header.height <= height()) {
    const ExecutedBlock& known = at(block.header.height);
    if (known.hash == hash && known.block.signature == block.signature) return std::vector<Incident>{};
    return std::unexpected(make_incident("block-rewritten", block.header.height,
                                         fmt::format("height {} holds block {}; now offered {}",
                                                     block.header.height, to_hex(known.hash), to_hex(hash)),
                                         {to_hex(known.block.header.proposer), to_hex(block.header.proposer)},
                                         true));
  }
  if (auto extends = check_extends(block, hash); !extends) return std::unexpected(extends.error());

  ExecutedBlock executed;
  executed.block = block;
  executed.hash = hash;
  executed.receipts = vm_.execute(state_, block);
  executed.state_root = state_.root();
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    // A transaction refused for its nonce (a replay) keeps the location of its first inclusion.
    transactions_.try_emplace(executed.receipts[i].transaction, TransactionLocation{block.header.height, i});
  }
  blocks_.push_back(std::move(executed));

  // Votes that arrived before their block count now.
  std::vector<Incident> incidents;
  auto early = early_votes_.find(block.header.height);
  if (early == early_votes_.end()) return incidents;
  const std::vector<Vote> waiting = std::move(early->second);
  early_votes_.erase(early);
  for (const Vote& vote : waiting) record_vote(vote, incidents);
  auto settled = settle(block.header.height);
  incidents.insert(incidents.end(), settled.begin(), settled.end());
  return incidents;
}

std::optional<Snapshot> Ledger::final_snapshot() const {
  if (final_height_ <= base_height_) return std::nullopt;
  const ExecutedBlock& executed = blocks_[final_height_ - base_height_ - 1];
  return Snapshot{genesis_.chain_id,   final_height_, executed.hash, executed.block.header.time_ms,
                  executed.state_root, final_state_};
}

std::vector<Incident> Ledger::add_vote(const Vote& vote) {
  std::vector<Incident> incidents;
  if (record_vote(vote, incidents)) {
    auto settled = settle(vote.height);
    incidents.insert(incidents.end(), settled.begin(), settled.end());
  }
  return incidents;
}

bool Ledger::record_vote(const Vote& vote, std::vector<Incident>& incidents) {
  if (vote.chain_id != genesis_.chain_id || !is_validator(vote.validator) || vote.height == 0 ||
      !vote_signature_valid(vote)) {
    // Not a vote of this chain's validator set: anyone with write access to etcd could put one, and
    // it counts for nothing. (A validator's own forged vote cannot exist without its key.)
    return false;
  }
  if (vote.height > height()) {
    // Each validator has one vote key per height, but whoever can write to etcd can rewrite one
    // many times: keep at most two votes per validator for a height not executed yet.
    if (vote.height > height() + kMaxEarlyVoteHeights) return false;
    auto& waiting = early_votes_[vote.height];
    if (waiting.size() < 2 * validators_.size()) waiting.push_back(vote);
    return false;
  }
  if (vote.height <= base_height_) return false;
  ExecutedBlock& executed = at(vote.height);
  const std::string signer = to_hex(vote.validator);
  if (vote.block != executed.hash) {
    incidents.push_back(make_incident("vote-for-unknown-block", vote.height,
                                      fmt::format("vote for block {} at height {}, which holds {}",
                                                  to_hex(vote.block), vote.height, to_hex(executed.hash)),
                                      {signer}, false));
    return false;
  }
  auto [it, inserted] = executed.votes.try_emplace(signer, vote);
  if (!inserted && it->second.state_root != vote.state_root) {
    incidents.push_back(
        make_incident("equivocation", vote.height,
                      fmt::format("validator signed roots {} and {} at height {}",
                                  to_hex(it->second.state_root), to_hex(vote.state_root), vote.height),
                      {signer}, false));
  }
  return inserted;
}

std::vector<Incident> Ledger::settle(std::uint64_t height) {
  std::vector<Incident> incidents;
  ExecutedBlock& executed = at(height);
  std::map<Hash, std::vector<std::string>> by_root;
  for (const auto& [signer, vote] : executed.votes) by_root[vote.state_root].push_back(signer);
  for (const auto& [root, signers] : by_root) {
    if (signers.size() < quorum_) continue;
    if (root != executed.state_root) {
      if (executed.mismatch_reported) continue;
      executed.mismatch_reported = true;
      incidents.push_back(make_incident(
          "state-root-mismatch", height,
          fmt::format("{} of {} validators signed root {} at height {}; this validator computed {}",
                      signers.size(), validators_.size(), to_hex(root), height, to_hex(executed.state_root)),
          signers, true));
    } else if (!executed.final) {
      executed.final = true;
      advance_final_height();
    }
  }
  return incidents;
}

void Ledger::advance_final_height() {
  while (final_height_ < height() && at(final_height_ + 1).final) {
    // Executing again is cheaper than copying the whole state at each finalization, and gives the
    // state at the final height that proofs are made against.
    (void)vm_.execute(final_state_, at(final_height_ + 1).block);
    ++final_height_;
  }
}

}  // namespace lucid::chain
