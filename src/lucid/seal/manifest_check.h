// Checks a parsed manifest on its own (no chunk files): internal consistency, the Merkle root over
// the listed leaves, and the node's signature. Shared by `verify` and `open`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lucid/seal/manifest.h"

namespace lucid::seal {

// One thing found wrong, naming what: "chunk 3", "field merkle_root", "signature".
struct Problem {
  std::string subject;
  std::string message;
  std::optional<std::uint64_t> chunk_index;  // set when the problem is one chunk's
};

// `expected_node_key`: when given, the manifest must name this key as its node and be signed by it.
std::vector<Problem> check_manifest(const Manifest& manifest,
                                    const std::optional<crypto::Ed25519PublicKey>& expected_node_key);

}  // namespace lucid::seal
