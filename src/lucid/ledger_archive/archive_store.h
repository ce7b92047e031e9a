// blockchain-ledger's archival store (SQLite, lucid::sqlite): every final block of one chain with its
// votes and receipts, in height order without gaps, and the snapshots written beside it. It is the
// chain's history once etcd and the validators no longer need to hold it (docs/chain.md
// "blockchain-ledger"). One archive belongs to one chain: opening it for another is refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/sqlite/database.h"

namespace lucid::ledger_archive {

struct ArchivedBlock {
  std::uint64_t height = 0;
  std::string hash;        // hex
  std::string state_root;  // hex
  std::uint64_t time_ms = 0;
  std::string document;  // JSON: what /v1/blocks/<height> answers (block, votes, receipts)
};

struct SnapshotRecord {
  std::uint64_t height = 0;
  std::string file;        // its name in the snapshot directory
  std::string state_root;  // hex
  std::uint64_t bytes = 0;
};

class ArchiveStore {
 public:
  // Opens (creating) the archive for chain `chain_id` whose genesis hashes to `genesis_hash` (hex).
  static Result<ArchiveStore> open(const std::filesystem::path& file, const std::string& chain_id,
                                   const std::string& genesis_hash);

  // The highest archived height (0: none).
  Result<std::uint64_t> archived_height() const;
  // Appends `blocks`, which must continue the archive (archived_height() + 1, + 2, ...), in one
  // transaction: all of them or none.
  Status append(const std::vector<ArchivedBlock>& blocks);
  // The archived document at `height`; nullopt when not archived.
  Result<std::optional<std::string>> block_document(std::uint64_t height) const;

  Status record_snapshot(const SnapshotRecord& snapshot);
  Status forget_snapshot(std::uint64_t height);
  // Ascending by height.
  Result<std::vector<SnapshotRecord>> snapshots() const;

 private:
  explicit ArchiveStore(sqlite::Database db) : db_(std::move(db)), mu_(std::make_unique<std::mutex>()) {}
  sqlite::Database db_;
  // The archiver writes while the API reads, through one connection: one statement at a time.
  std::unique_ptr<std::mutex> mu_;
};

}  // namespace lucid::ledger_archive
