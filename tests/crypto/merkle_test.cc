// BLAKE3 Merkle trees: the vectors tests/vectors/gen_merkle.sh makes with b3sum (roots, leaf hashes,
// every inclusion proof for 0..17 leaves), tampered proofs, and every proof of trees up to 70 leaves.
#include "lucid/crypto/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "testing/testing.h"

namespace lucid::crypto {
namespace {
namespace fs = std::filesystem;

constexpr std::size_t kVectorMaxSize = 17;

Digest digest_of(std::string_view hex) {
  Digest d{};
  EXPECT_TRUE(from_hex_into(hex, d).has_value()) << "bad digest hex: " << hex;
  return d;
}

std::vector<std::uint8_t> leaf_bytes(std::size_t i) {
  std::string s = "lucid-leaf-" + std::to_string(i);
  return {s.begin(), s.end()};
}

struct VectorProof {
  std::uint64_t index = 0;
  std::vector<Digest> path;
};

struct VectorTree {
  std::uint64_t size = 0;
  std::vector<std::string> leaves_ascii;
  std::vector<Digest> leaf_hashes;
  Digest root{};
  std::vector<VectorProof> proofs;
};

std::vector<VectorTree> load_vectors() {
  fs::path file = lucid::testing::project_vectors_dir() / "merkle.json";
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << "cannot read " << file << " (regenerate with tests/vectors/gen_merkle.sh)";
  if (!in.good()) return {};
  auto doc = nlohmann::json::parse(in);
  std::vector<VectorTree> trees;
  for (const auto& t : doc.at("trees")) {
    VectorTree tree;
    tree.size = t.at("size").get<std::uint64_t>();
    tree.leaves_ascii = t.at("leaves_ascii").get<std::vector<std::string>>();
    for (const auto& h : t.at("leaf_hashes")) tree.leaf_hashes.push_back(digest_of(h.get<std::string>()));
    tree.root = digest_of(t.at("root").get<std::string>());
    for (const auto& p : t.at("proofs")) {
      VectorProof proof;
      proof.index = p.at("index").get<std::uint64_t>();
      for (const auto& h : p.at("path")) proof.path.push_back(digest_of(h.get<std::string>()));
      tree.proofs.push_back(std::move(proof));
    }
    trees.push_back(std::move(tree));
  }
  return trees;
}

// The vector file holds every size 0..17 in order, each with one proof per leaf, index-ordered.
std::vector<VectorTree> checked_vectors() {
  auto trees = load_vectors();
  EXPECT_EQ(trees.size(), kVectorMaxSize + 1);
  for (std::size_t n = 0; n < trees.size(); ++n) {
    EXPECT_EQ(trees[n].size, n);
    EXPECT_EQ(trees[n].leaves_ascii.size(), n);
    EXPECT_EQ(trees[n].leaf_hashes.size(), n);
    EXPECT_EQ(trees[n].proofs.size(), n);
    for (std::size_t i = 0; i < trees[n].proofs.size(); ++i) EXPECT_EQ(trees[n].proofs[i].index, i);
  }
  return trees;
}

// A second construction of the same shape, independent of merkle.cc: hash level by level, pairing
// neighbours and carrying a lone last node up unchanged (equivalent to RFC 6962's split at the largest
// power of two below n). Node hashing goes through Blake3 directly.
Digest reference_root(std::vector<Digest> level) {
  if (level.empty()) return Blake3().finalize();
  while (level.size() > 1) {
    std::vector<Digest> next;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      const std::uint8_t prefix = 0x01;
      next.push_back(Blake3().update({&prefix, 1}).update(level[i]).update(level[i + 1]).finalize());
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
  }
  return level[0];
}

// The audit path in the same level-by-level construction: at each level, the sibling of the node
// holding leaf `index`, when it has one (a lone last node is carried up without a path entry).
std::vector<Digest> reference_proof(std::vector<Digest> level, std::size_t index) {
  std::vector<Digest> path;
  std::size_t pos = index;
  while (level.size() > 1) {
    std::size_t sibling = pos ^ 1u;
    if (sibling < level.size()) path.push_back(level[sibling]);
    std::vector<Digest> next;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      const std::uint8_t prefix = 0x01;
      next.push_back(Blake3().update({&prefix, 1}).update(level[i]).update(level[i + 1]).finalize());
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
    pos /= 2;
  }
  return path;
}

Digest flip(Digest d, std::size_t byte, int bit) {
  d[byte] ^= static_cast<std::uint8_t>(1u << bit);
  return d;
}

TEST(Merkle, VectorLeafHashes) {
  for (const auto& tree : checked_vectors()) {
    for (std::size_t i = 0; i < tree.size; ++i) {
      EXPECT_EQ(tree.leaves_ascii[i], "lucid-leaf-" + std::to_string(i));
      EXPECT_EQ(merkle_leaf_hash(leaf_bytes(i)), tree.leaf_hashes[i])
          << "size " << tree.size << " leaf " << i;
    }
  }
}

TEST(Merkle, VectorRoots) {
  auto trees = checked_vectors();
  ASSERT_FALSE(trees.empty());
  EXPECT_EQ(trees[0].root, Blake3().finalize()) << "the empty tree's root is BLAKE3 of the empty string";
  for (const auto& tree : trees) {
    EXPECT_EQ(to_hex(merkle_root(tree.leaf_hashes)), to_hex(tree.root)) << "size " << tree.size;
    EXPECT_EQ(reference_root(tree.leaf_hashes), tree.root) << "size " << tree.size;
  }
  // A single leaf is its own root; two leaves are one node.
  EXPECT_EQ(trees[1].root, trees[1].leaf_hashes[0]);
  EXPECT_EQ(trees[2].root, merkle_node_hash(trees[2].leaf_hashes[0], trees[2].leaf_hashes[1]));
}

TEST(Merkle, VectorProofsAreProducedAndVerify) {
  for (const auto& tree : checked_vectors()) {
    for (const auto& proof : tree.proofs) {
      SCOPED_TRACE("size " + std::to_string(tree.size) + " index " + std::to_string(proof.index));
      auto produced = merkle_inclusion_proof(tree.leaf_hashes, proof.index);
      ASSERT_EQ(produced.size(), proof.path.size());
      for (std::size_t k = 0; k < produced.size(); ++k) EXPECT_EQ(to_hex(produced[k]), to_hex(proof.path[k]));
      EXPECT_TRUE(merkle_verify_inclusion(tree.root, tree.leaf_hashes[proof.index], proof.index, tree.size,
                                          proof.path));
    }
  }
}

TEST(Merkle, RefusesWrongIndex) {
  for (const auto& tree : checked_vectors()) {
    for (const auto& proof : tree.proofs) {
      for (std::uint64_t j = 0; j < tree.size; ++j) {
        if (j == proof.index) continue;
        EXPECT_FALSE(
            merkle_verify_inclusion(tree.root, tree.leaf_hashes[proof.index], j, tree.size, proof.path))
            << "size " << tree.size << " proof of " << proof.index << " accepted at index " << j;
      }
    }
  }
}

TEST(Merkle, RefusesWrongLeaf) {
  for (const auto& tree : checked_vectors()) {
    if (tree.size < 2) continue;
    for (const auto& proof : tree.proofs) {
      const auto& other = tree.leaf_hashes[(proof.index + 1) % tree.size];
      EXPECT_FALSE(merkle_verify_inclusion(tree.root, other, proof.index, tree.size, proof.path));
      // The raw (unprefixed) leaf bytes' hash is not the leaf hash.
      EXPECT_FALSE(merkle_verify_inclusion(tree.root, blake3(leaf_bytes(proof.index)), proof.index, tree.size,
                                           proof.path));
    }
  }
}

TEST(Merkle, RefusesWrongTreeSize) {
  auto trees = checked_vectors();
  for (const auto& tree : trees) {
    for (const auto& proof : tree.proofs) {
      // A proof for size n checked as if the tree had m leaves (with that tree's own root).
      for (std::uint64_t m = proof.index + 1; m <= kVectorMaxSize; ++m) {
        if (m == tree.size) continue;
        EXPECT_FALSE(
            merkle_verify_inclusion(trees[m].root, tree.leaf_hashes[proof.index], proof.index, m, proof.path))
            << "proof of " << proof.index << " in size " << tree.size << " accepted for size " << m;
      }
      // Sizes far from n make the path length inconsistent whatever the root.
      for (std::uint64_t m : {tree.size * 4 + 1, std::uint64_t{1} << 40}) {
        if (tree.size < 2) continue;
        EXPECT_FALSE(
            merkle_verify_inclusion(tree.root, tree.leaf_hashes[proof.index], proof.index, m, proof.path))
            << "proof of " << proof.index << " in size " << tree.size << " accepted for size " << m;
      }
    }
  }
}

TEST(Merkle, RefusesTruncatedOrExtendedPath) {
  for (const auto& tree : checked_vectors()) {
    for (const auto& proof : tree.proofs) {
      SCOPED_TRACE("size " + std::to_string(tree.size) + " index " + std::to_string(proof.index));
      const auto& leaf = tree.leaf_hashes[proof.index];
      if (!proof.path.empty()) {
        std::vector<Digest> no_last(proof.path.begin(), proof.path.end() - 1);
        EXPECT_FALSE(merkle_verify_inclusion(tree.root, leaf, proof.index, tree.size, no_last));
        std::vector<Digest> no_first(proof.path.begin() + 1, proof.path.end());
        EXPECT_FALSE(merkle_verify_inclusion(tree.root, leaf, proof.index, tree.size, no_first));
        EXPECT_FALSE(merkle_verify_inclusion(tree.root, leaf, proof.index, tree.size, std::vector<Digest>{}));
      }
      auto extended = proof.path;
      extended.push_back(tree.root);
      EXPECT_FALSE(merkle_verify_inclusion(tree.root, leaf, proof.index, tree.size, extended));
      auto extended_zero = proof.path;
      extended_zero.push_back(Digest{});
      EXPECT_FALSE(merkle_verify_inclusion(tree.root, leaf, proof.index, tree.size, extended_zero));
      auto prefixed = proof.path;
      prefixed.insert(prefixed.begin(), leaf);
      EXPECT_FALSE(merkle_verify_inclusion(tree.root, leaf, proof.index, tree.size, prefixed));
    }
  }
}

TEST(Merkle, RefusesAFlippedBitAnywhere) {
  for (const auto& tree : checked_vectors()) {
    for (const auto& proof : tree.proofs) {
      const auto& leaf = tree.leaf_hashes[proof.index];
      for (std::size_t k = 0; k < proof.path.size(); ++k) {
        for (std::size_t byte : {std::size_t{0}, std::size_t{13}, std::size_t{31}}) {
          for (int bit : {0, 7}) {
            auto bad = proof.path;
            bad[k] = flip(bad[k], byte, bit);
            EXPECT_FALSE(merkle_verify_inclusion(tree.root, leaf, proof.index, tree.size, bad))
                << "size " << tree.size << " index " << proof.index << " path[" << k << "] byte " << byte;
          }
        }
      }
      EXPECT_FALSE(merkle_verify_inclusion(flip(tree.root, 5, 3), leaf, proof.index, tree.size, proof.path));
      EXPECT_FALSE(merkle_verify_inclusion(tree.root, flip(leaf, 31, 0), proof.index, tree.size, proof.path));
    }
  }
}

TEST(Merkle, RefusesIndexAtOrBeyondSize) {
  for (const auto& tree : checked_vectors()) {
    for (const auto& proof : tree.proofs) {
      const auto& leaf = tree.leaf_hashes[proof.index];
      for (std::uint64_t bad_index :
           {tree.size, tree.size + 1, tree.size * 2, std::numeric_limits<std::uint64_t>::max()}) {
        EXPECT_FALSE(merkle_verify_inclusion(tree.root, leaf, bad_index, tree.size, proof.path))
            << "size " << tree.size << " index " << bad_index;
      }
    }
  }
  // Nothing is included in the empty tree.
  EXPECT_FALSE(
      merkle_verify_inclusion(Blake3().finalize(), Blake3().finalize(), 0, 0, std::vector<Digest>{}));
}

TEST(Merkle, EveryLeafOfTreesUpTo70MatchesReferenceAndVerifies) {
  std::vector<Digest> all;
  for (std::size_t i = 0; i < 70; ++i) all.push_back(merkle_leaf_hash(leaf_bytes(i)));
  for (std::size_t n = 1; n <= 70; ++n) {
    std::span<const Digest> leaves(all.data(), n);
    Digest root = merkle_root(leaves);
    ASSERT_EQ(root, reference_root({leaves.begin(), leaves.end()})) << "size " << n;
    // At most one path entry per level: ceil(log2(n)).
    const auto ceil_log = static_cast<std::size_t>(std::bit_width(n - 1));
    for (std::uint64_t i = 0; i < n; ++i) {
      auto path = merkle_inclusion_proof(leaves, i);
      EXPECT_LE(path.size(), ceil_log) << "size " << n << " index " << i;
      EXPECT_EQ(path, reference_proof({leaves.begin(), leaves.end()}, i)) << "size " << n << " index " << i;
      EXPECT_TRUE(merkle_verify_inclusion(root, leaves[i], i, n, path)) << "size " << n << " index " << i;
      if (n > 1) {
        EXPECT_FALSE(merkle_verify_inclusion(root, leaves[(i + 1) % n], i, n, path))
            << "size " << n << " index " << i;
      }
    }
  }
}

TEST(Merkle, LeafAndNodeHashesAreDomainSeparated) {
  Digest a = merkle_leaf_hash(leaf_bytes(0));
  Digest b = merkle_leaf_hash(leaf_bytes(1));
  // A node is BLAKE3(0x01 ‖ left ‖ right); hashing the same 64 bytes as a leaf must differ.
  std::vector<std::uint8_t> concat(a.begin(), a.end());
  concat.insert(concat.end(), b.begin(), b.end());
  EXPECT_NE(merkle_leaf_hash(concat), merkle_node_hash(a, b));
  std::vector<std::uint8_t> with_prefix = {0x01};
  with_prefix.insert(with_prefix.end(), concat.begin(), concat.end());
  EXPECT_EQ(merkle_node_hash(a, b), blake3(with_prefix));
  std::vector<std::uint8_t> leaf_with_prefix = {0x00};
  auto raw = leaf_bytes(0);
  leaf_with_prefix.insert(leaf_with_prefix.end(), raw.begin(), raw.end());
  EXPECT_EQ(a, blake3(leaf_with_prefix));
}

}  // namespace
}  // namespace lucid::crypto
