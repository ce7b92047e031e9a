// `verify DIR`: everything that can be checked without the session key — the manifest's
// consistency and signature, every chunk's length and leaf hash, the root, and stray files.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/seal/manifest.h"
#include "lucid/seal/manifest_check.h"

namespace lucid::seal {

struct VerifyReport {
  std::optional<Manifest> manifest;  // absent when manifest.json could not be parsed
  crypto::Digest manifest_hash{};
  std::vector<Problem> problems;  // empty means the session verified
  std::uint64_t bytes_hashed = 0;
  bool ok() const { return manifest.has_value() && problems.empty(); }
};

// Fails only when `dir` cannot be read at all; everything wrong inside it is a Problem.
Result<VerifyReport> verify_session(const std::filesystem::path& dir,
                                    const std::optional<crypto::Ed25519PublicKey>& expected_node_key,
                                    unsigned threads);

// Reads and parses DIR/manifest.json (a regular file, not a link, at most kMaxManifestBytes); errors
// are prefixed with the file name.
Result<Manifest> read_manifest(const std::filesystem::path& dir);

}  // namespace lucid::seal
