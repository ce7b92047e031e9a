// `open`: restores a session's exact input. Every chunk is checked (leaf hash, then AEAD) before any
// of its plaintext is emitted; on the first failure nothing of that chunk or any later one is
// written, a file output is removed, and an incident is appended to the incident log.
#pragma once

#include <filesystem>
#include <optional>

#include "lucid/base/result.h"
#include "lucid/seal/format.h"
#include "lucid/seal/incident.h"
#include "lucid/seal/manifest.h"

namespace lucid::seal {

struct OpenOptions {
  std::optional<crypto::Ed25519PublicKey> expected_node_key;
  std::filesystem::path incident_log;  // where incidents are appended
  unsigned threads = 0;                // 0: one per core
};

struct OpenSummary {
  Manifest manifest;
  std::uint64_t bytes_written = 0;
};

// The error carries ErrorKind::kAuthentication for an integrity incident (already logged).
// `output` is a file path, or "-" for standard output.
Result<OpenSummary> open_session(const std::filesystem::path& dir, const SessionKey& session_key,
                                 const std::filesystem::path& output, const OpenOptions& options);

}  // namespace lucid::seal
