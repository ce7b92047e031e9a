// Reading sealed chunk files of a session directory and checking each against its manifest entry
// (length and leaf hash), before anything is decrypted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lucid/seal/manifest.h"

namespace lucid::seal {

struct ChunkFault {
  std::string
      reason;  // machine-readable: missing-chunk, unreadable-chunk, length-mismatch, leaf-hash-mismatch
  std::string detail;  // for people, without the chunk: "sealed length 17 differs from the manifest's 16"
};

// Reads chunk `entry` of session `dir` into `buffer` and checks it; nullopt when it matches. The file
// is opened as session_file.h says (no links, no FIFOs, at most kMaxSealedChunkBytes).
std::optional<ChunkFault> load_chunk(const std::filesystem::path& dir, const ManifestChunk& entry,
                                     std::vector<std::uint8_t>& buffer);

// Files in chunks/ that the manifest does not list (e.g. a duplicated or appended chunk), sorted: at
// most 100 names, then one "chunks/ (N more files)" entry for any beyond.
std::vector<std::string> unexpected_chunk_files(const std::filesystem::path& dir, std::uint64_t chunk_count);

}  // namespace lucid::seal
