// BLAKE3 Merkle trees shaped as RFC 6962/9162 (split at the largest power of two below n, no
// duplicated odd nodes), with domain-separated leaves (0x00) and interior nodes (0x01).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "lucid/crypto/blake3.h"

namespace lucid::crypto {

Digest merkle_leaf_hash(std::span<const std::uint8_t> leaf_bytes);
Digest merkle_node_hash(const Digest& left, const Digest& right);

// Root over already-hashed leaves. The empty tree's root is BLAKE3 of the empty string.
Digest merkle_root(std::span<const Digest> leaf_hashes);

// RFC 9162 §2.1.3 audit path for leaf `index` (index < leaf_hashes.size()), ordered leaf to root.
std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaf_hashes, std::uint64_t index);

// RFC 9162 §2.1.3.2 verification; false for any inconsistency (index ≥ size, wrong path length).
bool merkle_verify_inclusion(const Digest& root, const Digest& leaf_hash, std::uint64_t index,
                             std::uint64_t tree_size, std::span<const Digest> path);

}  // namespace lucid::crypto
