// The chain's state: every contract's storage as one sorted key/value map, its root (a BLAKE3
// Merkle tree over the entries in key order, docs/formats.md "Data chain: state root") and an
// overlay that holds one transaction's writes until it succeeds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/chain/transaction.h"

namespace lucid::chain {

using Bytes = std::vector<std::uint8_t>;

class State {
 public:
  std::optional<Bytes> get(std::string_view key) const;
  void put(const std::string& key, Bytes value);
  Hash root() const;
  // The Merkle leaf of one entry: merkle_leaf_hash(u32be(key length) ‖ key ‖ value).
  static Hash entry_leaf(std::string_view key, std::span<const std::uint8_t> value);
  // The entry's index and audit path in the tree whose root root() returns; nullopt if absent.
  struct Proof {
    std::uint64_t index = 0;
    std::uint64_t size = 0;
    std::vector<Hash> path;
  };
  std::optional<Proof> prove(std::string_view key) const;

  const std::map<std::string, Bytes, std::less<>>& entries() const { return entries_; }

 private:
  std::map<std::string, Bytes, std::less<>> entries_;
};

// Reads through to a State; writes stay here until commit().
class StateOverlay {
 public:
  explicit StateOverlay(const State& base) : base_(base) {}
  std::optional<Bytes> get(std::string_view key) const;
  void put(const std::string& key, Bytes value);
  std::size_t writes() const { return writes_.size(); }
  void commit(State& target) const;

 private:
  const State& base_;
  std::map<std::string, Bytes, std::less<>> writes_;
};

}  // namespace lucid::chain
