#include "lucid/ledger_archive/archive_store.h"

#include <fmt/format.h>

namespace lucid::ledger_archive {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS chain (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  chain_id TEXT NOT NULL,
  genesis_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
  height INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  state_root TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  document TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
  height INTEGER PRIMARY KEY,
  file TEXT NOT NULL,
  state_root TEXT NOT NULL,
  bytes INTEGER NOT NULL);
)sql";

Result<std::uint64_t> max_height(const sqlite::Database& db) {
  auto query = db.prepare("SELECT COALESCE(MAX(height), 0) FROM blocks");
  auto row = query.step();
  if (!row) return std::unexpected(row.error());
  return static_cast<std::uint64_t>(query.integer(0));
}

}  // namespace

Result<ArchiveStore> ArchiveStore::open(const std::filesystem::path& file, const std::string& chain_id,
                                        const std::string& genesis_hash) {
  auto db = sqlite::Database::open(
      file, {.what = "ledger archive", .private_file = true, .busy_timeout_ms = 10000}, kSchema);
  if (!db) return std::unexpected(db.error());
  auto insert = db->prepare("INSERT OR IGNORE INTO chain(id, chain_id, genesis_hash) VALUES (1, ?, ?)");
  if (auto s = insert.bind(1, chain_id).bind(2, genesis_hash).run(); !s) return std::unexpected(s.error());
  auto query = db->prepare("SELECT chain_id, genesis_hash FROM chain WHERE id = 1");
  auto row = query.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorKind::kInternal, fmt::format("{}: the chain row is missing", file.string()));
  if (query.text(0) != chain_id || query.text(1) != genesis_hash)
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("{} archives chain {:?} (genesis {}), not {:?} (genesis {}): give this chain its own "
                    "archive directory",
                    file.string(), query.text(0), query.text(1), chain_id, genesis_hash));
  return ArchiveStore(std::move(*db));
}

Result<std::uint64_t> ArchiveStore::archived_height() const {
  std::lock_guard lock(*mu_);
  return max_height(db_);
}

Status ArchiveStore::append(const std::vector<ArchivedBlock>& blocks) {
  std::lock_guard lock(*mu_);
  return db_.transaction([&]() -> Status {
    auto top = max_height(db_);
    if (!top) return std::unexpected(top.error());
    std::uint64_t expected = *top + 1;
    auto insert =
        db_.prepare("INSERT INTO blocks(height, hash, state_root, time_ms, document) VALUES (?, ?, ?, ?, ?)");
    for (const ArchivedBlock& block : blocks) {
      if (block.height != expected)
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("the archive continues at height {}, not {}", expected, block.height));
      insert.reset();
      auto s = insert.bind(1, static_cast<std::int64_t>(block.height))
                   .bind(2, block.hash)
                   .bind(3, block.state_root)
                   .bind(4, static_cast<std::int64_t>(block.time_ms))
                   .bind(5, block.document)
                   .run();
      if (!s) return s;
      ++expected;
    }
    return {};
  });
}

Result<std::optional<std::string>> ArchiveStore::block_document(std::uint64_t height) const {
  std::lock_guard lock(*mu_);
  auto query = db_.prepare("SELECT document FROM blocks WHERE height = ?");
  auto row = query.bind(1, static_cast<std::int64_t>(height)).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(query.text(0));
}

Status ArchiveStore::record_snapshot(const SnapshotRecord& snapshot) {
  std::lock_guard lock(*mu_);
  return db_.prepare("INSERT OR REPLACE INTO snapshots(height, file, state_root, bytes) VALUES (?, ?, ?, ?)")
      .bind(1, static_cast<std::int64_t>(snapshot.height))
      .bind(2, snapshot.file)
      .bind(3, snapshot.state_root)
      .bind(4, static_cast<std::int64_t>(snapshot.bytes))
      .run();
}

Status ArchiveStore::forget_snapshot(std::uint64_t height) {
  std::lock_guard lock(*mu_);
  return db_.prepare("DELETE FROM snapshots WHERE height = ?")
      .bind(1, static_cast<std::int64_t>(height))
      .run();
}

Result<std::vector<SnapshotRecord>> ArchiveStore::snapshots() const {
  std::lock_guard lock(*mu_);
  auto query = db_.prepare("SELECT height, file, state_root, bytes FROM snapshots ORDER BY height");
  std::vector<SnapshotRecord> out;
  for (;;) {
    auto row = query.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(SnapshotRecord{static_cast<std::uint64_t>(query.integer(0)), query.text(1), query.text(2),
                                 static_cast<std::uint64_t>(query.integer(3))});
  }
}

}  // namespace lucid::ledger_archive
