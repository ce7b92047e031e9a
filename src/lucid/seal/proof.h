// Inclusion proofs for one chunk of a session (docs/formats.md "Inclusion proof"): a JSON
// document holding the RFC 9162 audit path, checkable with nothing but the root and the leaf.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/crypto/blake3.h"
#include "lucid/seal/manifest.h"

namespace lucid::seal {

inline constexpr std::string_view kProofFormat = "lucid.merkle-inclusion-proof";

Result<nlohmann::json> make_inclusion_proof(const Manifest& manifest, std::uint64_t index);

// Checks that `proof_text` proves `leaf_hash` at its index under `root`. Errors name the part
// that disagrees (malformed proof, leaf or root mismatch, path does not lead to the root).
Status verify_inclusion_proof(const std::string& proof_text, const crypto::Digest& root,
                              const crypto::Digest& leaf_hash);

}  // namespace lucid::seal
