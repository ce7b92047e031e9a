// The chain's keys in etcd (docs/formats.md "Data chain: ordering keys in etcd") and reading what
// etcd has ordered: what a validator follows and what blockchain-ledger replays.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "lucid/base/result.h"
#include "lucid/chain/etcd_client.h"
#include "lucid/chain/transaction.h"
#include "lucid/crypto/ed25519.h"

namespace lucid::chain {

// "/lucid-chain/<chain id>/": every key of a chain lives below it unless configured otherwise.
std::string default_key_prefix(const std::string& chain_id);

struct OrderingKeys {
  std::string prefix;

  std::string leader() const;
  std::string pending_prefix() const;
  // Queued transactions sort by sender, then nonce: a proposer reads each sender's queue in the
  // order it can execute.
  std::string pending(const crypto::Ed25519PublicKey& sender, std::uint64_t nonce) const;
  // What validators watch: the blocks and the votes, and nothing else (the queue's traffic would
  // reach every validator's watch for nothing).
  std::string followed_prefix() const;
  std::string block_prefix() const;
  std::string block(std::uint64_t height) const;
  std::string vote_prefix() const;
  // With an empty validator: the start of the height's votes.
  std::string vote(std::uint64_t height, const std::string& validator) const;
  std::string incident_prefix() const;
  std::string incident(const std::string& validator, std::uint64_t height, const std::string& kind) const;
};

// Hands every ordered block from height `from` on, in height order, to `on_block` (its JSON text),
// a page at a time, until the last one or until `on_block` returns false.
Status read_ordered_blocks(EtcdClient& etcd, const OrderingKeys& keys, std::uint64_t from,
                           const std::function<bool(const std::string& block_json)>& on_block);
// Deletes `keys_to_delete` in transactions of at most 100 deletes (below etcd's 128 operations per
// transaction); best effort: the first failure is returned.
Status erase_keys(EtcdClient& etcd, const std::vector<std::string>& keys_to_delete);
// The same for the votes of heights `from` to `to` (inclusive; 0: no upper bound).
Status read_ordered_votes(EtcdClient& etcd, const OrderingKeys& keys, std::uint64_t from, std::uint64_t to,
                          const std::function<bool(const std::string& vote_json)>& on_vote);

}  // namespace lucid::chain
