// A snapshot of the chain's state at a final height (docs/formats.md "Data chain: snapshots"): what
// blockchain-ledger exports so that a validator or an auditor can start from height N instead of
// genesis. It names the block it follows and the state root two thirds of the validators signed
// there; reading one checks its checksum, its entries' order and that they hash to that root, so a
// flipped byte or a forged entry is refused before anything uses it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "lucid/base/result.h"
#include "lucid/chain/state.h"

namespace lucid::chain {

struct Snapshot {
  std::string chain_id;
  std::uint64_t height = 0;   // the last block whose execution the state includes
  Hash block{};               // its hash
  std::uint64_t time_ms = 0;  // its time (the next block's may not be earlier)
  Hash state_root{};          // state.root()
  State state;
};

// The file's bytes: a header line, the entries, a BLAKE3 checksum of all that precedes it.
std::string encode_snapshot(const Snapshot& snapshot);
// kCorrupt naming what is wrong (magic, header, truncation, order, checksum, root); `source` names
// the file in messages.
Result<Snapshot> decode_snapshot(std::string_view bytes, const std::string& source = "snapshot");

Status write_snapshot(const std::filesystem::path& path, const Snapshot& snapshot);
Result<Snapshot> read_snapshot(const std::filesystem::path& path);

}  // namespace lucid::chain
