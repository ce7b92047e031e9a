#include "lucid/chain/state.h"

#include "lucid/crypto/merkle.h"

namespace lucid::chain {
namespace {

std::vector<Hash> leaves_of(const std::map<std::string, Bytes, std::less<>>& entries) {
  std::vector<Hash> leaves;
  leaves.reserve(entries.size());
  for (const auto& [key, value] : entries) {
    leaves.push_back(State::entry_leaf(key, value));
  }
  return leaves;
}

}  // namespace

std::optional<Bytes> State::get(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void State::put(const std::string& key, Bytes value) {
  entries_[key] = std::move(value);
}

Hash State::entry_leaf(std::string_view key, std::span<const std::uint8_t> value) {
  Bytes leaf;
  leaf.reserve(4 + key.size() + value.size());
  auto length = static_cast<std::uint32_t>(key.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    leaf.push_back(static_cast<std::uint8_t>(length >> shift));
  }
  leaf.insert(leaf.end(), key.begin(), key.end());
  leaf.insert(leaf.end(), value.begin(), value.end());
  return crypto::merkle_leaf_hash(leaf);
}

Hash State::root() const {
  return crypto::merkle_root(leaves_of(entries_));
}

std::optional<State::Proof> State::prove(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return std::nullopt;
  }
  auto index = static_cast<std::uint64_t>(std::distance(entries_.begin(), it));
  auto leaves = leaves_of(entries_);
  return Proof{index, leaves.size(), crypto::merkle_inclusion_proof(leaves, index)};
}

std::optional<Bytes> StateOverlay::get(std::string_view key) const {
  auto it = writes_.find(key);
  if (it != writes_.end()) {
    return it->second;
  }
  return base_.get(key);
}

void StateOverlay::put(const std::string& key, Bytes value) {
  writes_[key] = std::move(value);
}

void StateOverlay::commit(State& target) const {
  for (const auto& [key, value] : writes_) {
    target.put(key, value);
  }
}

}  // namespace lucid::chain
