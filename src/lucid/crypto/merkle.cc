#include "lucid/crypto/merkle.h"

#include <bit>

namespace lucid::crypto {
namespace {
// Largest power of two strictly less than n (n ≥ 2).
std::uint64_t split_point(std::uint64_t n) {
  return std::bit_floor(n - 1);
}

Digest subtree_root(std::span<const Digest> leaves) {
  if (leaves.size() == 1) return leaves[0];
  auto k = split_point(leaves.size());
  return merkle_node_hash(subtree_root(leaves.first(k)), subtree_root(leaves.subspan(k)));
}

void audit_path(std::span<const Digest> leaves, std::uint64_t index, std::vector<Digest>& out) {
  if (leaves.size() <= 1) return;
  auto k = split_point(leaves.size());
  if (index < k) {
    audit_path(leaves.first(k), index, out);
    out.push_back(subtree_root(leaves.subspan(k)));
  } else {
    audit_path(leaves.subspan(k), index - k, out);
    out.push_back(subtree_root(leaves.first(k)));
  }
}
}  // namespace

Digest merkle_leaf_hash(std::span<const std::uint8_t> leaf_bytes) {
  const std::uint8_t prefix = 0x00;
  return Blake3().update({&prefix, 1}).update(leaf_bytes).finalize();
}

Digest merkle_node_hash(const Digest& left, const Digest& right) {
  const std::uint8_t prefix = 0x01;
  return Blake3().update({&prefix, 1}).update(left).update(right).finalize();
}

Digest merkle_root(std::span<const Digest> leaf_hashes) {
  if (leaf_hashes.empty()) return blake3({});
  return subtree_root(leaf_hashes);
}

std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaf_hashes, std::uint64_t index) {
  std::vector<Digest> out;
  if (index < leaf_hashes.size()) audit_path(leaf_hashes, index, out);
  return out;
}

bool merkle_verify_inclusion(const Digest& root, const Digest& leaf_hash, std::uint64_t index,
                             std::uint64_t tree_size, std::span<const Digest> path) {
  if (index >= tree_size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = tree_size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = merkle_node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace lucid::crypto
