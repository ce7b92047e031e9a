// `seal`: a recording stream → a session directory of sealed chunks and a signed manifest.
// Runs on all cores with bounded memory (chunks in flight ≤ threads + 2); the directory appears
// whole or not at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/crypto/ed25519.h"
#include "lucid/seal/format.h"
#include "lucid/seal/manifest.h"

namespace lucid::seal {

struct SealOptions {
  // The session's id: the one sessions-gateway minted for this recording (a UUIDv4 in canonical
  // form); empty for a fresh random one (a node sealing without a gateway).
  std::string session_id;
  std::uint64_t chunk_size = kDefaultChunkSize;  // within kMinChunkSize..kMaxChunkSize
  int zstd_level = kDefaultZstdLevel;
  unsigned threads = 0;  // 0: one per core
  std::string codec = "application/octet-stream";
  std::string device_fingerprint;
  std::vector<crypto::Ed25519PublicKey> participants;  // besides the node itself
  bool fsync = true;                                   // make chunks durable before the rename
  // Called from the reading thread after each chunk is queued: (chunks so far, bytes so far).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct SealSummary {
  Manifest manifest;
  crypto::Digest manifest_hash{};
  std::uint64_t sealed_bytes = 0;
};

Status validate_seal_options(const SealOptions& options);

// Reads `input_fd` to its end and writes session directory `out_dir`.
Result<SealSummary> seal_stream(int input_fd, const std::filesystem::path& out_dir,
                                const crypto::Ed25519KeyPair& node_key, const SessionKey& session_key,
                                const SealOptions& options);

}  // namespace lucid::seal
