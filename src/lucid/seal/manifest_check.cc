#include "lucid/seal/manifest_check.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/format.h"

namespace lucid::seal {

std::vector<Problem> check_manifest(const Manifest& m,
                                    const std::optional<crypto::Ed25519PublicKey>& expected_node_key) {
  std::vector<Problem> problems;
  auto field = [&](const std::string& name, std::string message) {
    problems.push_back({"field " + name, std::move(message), std::nullopt});
  };

  if (m.chunk_size < kMinChunkSize || m.chunk_size > kMaxChunkSize) {
    field("chunk_size",
          fmt::format("{} is outside {}..{} bytes", m.chunk_size, kMinChunkSize, kMaxChunkSize));
  }
  if (m.chunk_count == 0) field("chunk_count", "is 0; every session has at least one (final) chunk");
  if (m.chunk_count != m.chunks.size()) {
    field("chunk_count", fmt::format("says {} but {} chunks are listed", m.chunk_count, m.chunks.size()));
  }
  std::uint64_t total = 0;
  for (const auto& c : m.chunks) {
    bool last = c.index + 1 == m.chunks.size();
    total += c.plain_bytes;
    if (!last && c.plain_bytes != m.chunk_size) {
      problems.push_back(
          {fmt::format("chunk {}", c.index),
           fmt::format("plain_bytes {} differs from chunk_size {}; only the last chunk may be shorter",
                       c.plain_bytes, m.chunk_size),
           c.index});
    } else if (last && c.plain_bytes > m.chunk_size) {
      problems.push_back({fmt::format("chunk {}", c.index), "plain_bytes exceeds chunk_size", c.index});
    }
  }
  if (total != m.total_bytes)
    field("total_bytes", fmt::format("says {} but the chunks hold {}", m.total_bytes, total));

  std::vector<crypto::Digest> leaves;
  leaves.reserve(m.chunks.size());
  for (const auto& c : m.chunks) leaves.push_back(c.leaf_hash);
  if (crypto::merkle_root(leaves) != m.merkle_root) {
    field("merkle_root", "does not match the Merkle root of the listed leaf hashes");
  }

  auto node = m.node_public_key();
  if (!node) {
    field("participants", "must list exactly one participant with role \"node\"");
  } else if (expected_node_key && *node != *expected_node_key) {
    field("participants", fmt::format("node key {} is not the expected node key {}", to_hex(*node),
                                      to_hex(*expected_node_key)));
  }
  auto bytes = m.canonical_unsigned_bytes();
  if (!bytes) {
    field("manifest", bytes.error().message);
    return problems;
  }
  if (node) {
    bool signed_by_node = false;
    for (const auto& s : m.signatures) {
      if (s.public_key != *node) continue;
      signed_by_node = crypto::ed25519_verify(
          s.public_key, {reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()}, s.signature);
      if (!signed_by_node) {
        problems.push_back({"signature",
                            "the node's signature does not verify: the manifest was changed after signing or "
                            "the signature is corrupt",
                            std::nullopt});
      }
      break;
    }
    if (!signed_by_node && std::none_of(m.signatures.begin(), m.signatures.end(),
                                        [&](const ManifestSignature& s) { return s.public_key == *node; })) {
      problems.push_back({"signature", "no signature by the node key", std::nullopt});
    }
  }
  return problems;
}

}  // namespace lucid::seal
