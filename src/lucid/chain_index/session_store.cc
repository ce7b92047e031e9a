#include "lucid/chain_index/session_store.h"

#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"

namespace lucid::chain_index {

namespace {

// The schema this indexer writes (PRAGMA user_version). A store written by a newer one is refused
// rather than misread; an older one is migrated here, step by step, inside the schema transaction.
constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS chain (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  chain_id TEXT NOT NULL DEFAULT '',
  genesis_hash TEXT NOT NULL DEFAULT '',
  indexed_height INTEGER NOT NULL DEFAULT 0,
  sessions INTEGER NOT NULL DEFAULT 0,
  chunk_anchors INTEGER NOT NULL DEFAULT 0);
INSERT OR IGNORE INTO chain(id) VALUES (1);
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  manifest_hash TEXT NOT NULL,
  merkle_root TEXT NOT NULL,
  chunk_count INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  height INTEGER NOT NULL,
  tx TEXT NOT NULL,
  chunk_anchors INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_by_height ON sessions(height, session_id);
CREATE INDEX IF NOT EXISTS sessions_by_owner ON sessions(owner, height, session_id);
CREATE TABLE IF NOT EXISTS chunk_anchors (
  session_id TEXT NOT NULL REFERENCES sessions(session_id),
  first_index INTEGER NOT NULL,
  leaves INTEGER NOT NULL,
  height INTEGER NOT NULL,
  tx TEXT NOT NULL,
  PRIMARY KEY (session_id, first_index)) WITHOUT ROWID;
)sql";

constexpr const char* kSessionColumns =
    "session_id, owner, manifest_hash, merkle_root, chunk_count, started_at, height, tx, chunk_anchors";

// Heights stay below 2^53 (docs/formats.md); a started_at near 2^64 is kept by its bit pattern.
std::int64_t to_column(std::uint64_t value) {
  return static_cast<std::int64_t>(value);
}
std::uint64_t from_column(std::int64_t value) {
  return static_cast<std::uint64_t>(value);
}

template <std::size_t N>
Result<std::array<std::uint8_t, N>> hex_column(const std::string& text, const char* column) {
  std::array<std::uint8_t, N> out{};
  if (auto decoded = from_hex_into(text, out); !decoded)
    return fail(ErrorKind::kCorrupt,
                fmt::format("sessions store: column {}: {}", column, decoded.error().message));
  return out;
}

// A row selected with kSessionColumns.
Result<StoredSession> read_session(const sqlite::Statement& q) {
  StoredSession s;
  LUCID_TRY_ASSIGN(s.anchor.session_id, hex_column<16>(q.text(0), "session_id"));
  LUCID_TRY_ASSIGN(s.anchor.owner, hex_column<32>(q.text(1), "owner"));
  LUCID_TRY_ASSIGN(s.anchor.manifest_hash, hex_column<32>(q.text(2), "manifest_hash"));
  LUCID_TRY_ASSIGN(s.anchor.merkle_root, hex_column<32>(q.text(3), "merkle_root"));
  s.anchor.chunk_count = static_cast<std::uint32_t>(q.integer(4));
  s.anchor.started_at = from_column(q.integer(5));
  s.anchor.height = from_column(q.integer(6));
  LUCID_TRY_ASSIGN(s.anchor.transaction, hex_column<32>(q.text(7), "tx"));
  s.chunk_anchors = from_column(q.integer(8));
  return s;
}

Status insert_session(const sqlite::Database& db, const SessionAnchor& a, std::uint64_t& added) {
  auto insert = db.prepare(
      "INSERT OR IGNORE INTO sessions(session_id, owner, manifest_hash, merkle_root, chunk_count, "
      "started_at, height, tx) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, to_hex(a.session_id))
      .bind(2, to_hex(a.owner))
      .bind(3, to_hex(a.manifest_hash))
      .bind(4, to_hex(a.merkle_root))
      .bind(5, std::int64_t{a.chunk_count})
      .bind(6, to_column(a.started_at))
      .bind(7, to_column(a.height))
      .bind(8, to_hex(a.transaction));
  if (auto s = insert.run(); !s) return s;
  if (db.changes() == 1) {
    ++added;
    return {};
  }
  // Already stored: a re-read of the same event, or the chain contradicting itself.
  auto q = db.prepare(fmt::format("SELECT {} FROM sessions WHERE session_id = ?", kSessionColumns));
  q.bind(1, to_hex(a.session_id));
  if (auto row = q.step(); !row) return std::unexpected(row.error());
  auto stored = read_session(q);
  if (!stored) return std::unexpected(stored.error());
  if (stored->anchor != a)
    return fail(ErrorKind::kCorrupt,
                fmt::format("session {} is anchored at height {} and again at height {} with other fields, "
                            "though the chain anchors a session once: core's events are inconsistent",
                            to_hex(a.session_id), stored->anchor.height, a.height));
  return {};
}

Status insert_chunks(const sqlite::Database& db, const ChunkAnchor& c, std::uint64_t& added) {
  const std::string session = to_hex(c.session_id);
  auto known = db.prepare("SELECT 1 FROM sessions WHERE session_id = ?");
  known.bind(1, session);
  auto exists = known.step();
  if (!exists) return std::unexpected(exists.error());
  if (!*exists)
    return fail(ErrorKind::kCorrupt,
                fmt::format("ChunksAnchored at height {} for session {}, which no Anchored event announced",
                            c.height, session));
  auto insert = db.prepare(
      "INSERT OR IGNORE INTO chunk_anchors(session_id, first_index, leaves, height, tx) VALUES (?, ?, ?, ?, "
      "?)");
  insert.bind(1, session)
      .bind(2, std::int64_t{c.first_index})
      .bind(3, std::int64_t{c.leaves})
      .bind(4, to_column(c.height))
      .bind(5, to_hex(c.transaction));
  if (auto s = insert.run(); !s) return s;
  if (db.changes() == 0) {
    auto q =
        db.prepare("SELECT leaves, height, tx FROM chunk_anchors WHERE session_id = ? AND first_index = ?");
    q.bind(1, session).bind(2, std::int64_t{c.first_index});
    if (auto row = q.step(); !row) return std::unexpected(row.error());
    if (from_column(q.integer(0)) != c.leaves || from_column(q.integer(1)) != c.height ||
        q.text(2) != to_hex(c.transaction))
      return fail(
          ErrorKind::kCorrupt,
          fmt::format("session {}: chunks from index {} anchored at height {} and again at height {}, "
                      "though the chain anchors each index once: core's events are inconsistent",
                      session, c.first_index, from_column(q.integer(1)), c.height));
    return {};
  }
  added += c.leaves;
  return db.prepare("UPDATE sessions SET chunk_anchors = chunk_anchors + ? WHERE session_id = ?")
      .bind(1, std::int64_t{c.leaves})
      .bind(2, session)
      .run();
}

// Creates the store's directory 0700 when missing (lucid::sqlite makes the files 0600). The data is
// the public chain's, so an existing directory is left as is.
Status create_store_directory(const std::filesystem::path& file) {
  if (!file.has_parent_path()) return {};
  const std::filesystem::path dir = file.parent_path();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail(ErrorKind::kIo,
                fmt::format("{}: cannot create the store's directory: {}", dir.string(), errno_text(errno)));
  return {};
}

// Creates the tables of kSchemaVersion, inside lucid::sqlite's schema transaction; refuses a store a
// newer indexer wrote rather than misread it. An older one is migrated here, step by step.
Status write_schema(const sqlite::Database& db, const std::filesystem::path& file) {
  auto version = db.user_version();
  if (!version) return std::unexpected(version.error());
  if (*version > kSchemaVersion)
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("{}: written by a newer lucid-blockchain-sessions-data (schema {}, this one knows "
                    "up to {}): run that version, or give a new SESSIONS_DATA_DB to index afresh",
                    file.string(), *version, kSchemaVersion));
  if (auto s = db.exec(kSchema); !s) return s;
  if (*version < kSchemaVersion) return db.set_user_version(kSchemaVersion);
  return {};
}

// bind_chain inside its transaction.
Status record_chain(const sqlite::Database& db, const std::string& chain_id,
                    const std::string& genesis_hash) {
  auto q = db.prepare("SELECT chain_id, genesis_hash FROM chain WHERE id = 1");
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  const ChainIdentity stored{q.text(0), q.text(1)};
  const bool other_chain = !stored.chain_id.empty() && stored.chain_id != chain_id;
  const bool other_genesis =
      !genesis_hash.empty() && !stored.genesis_hash.empty() && stored.genesis_hash != genesis_hash;
  if (other_chain || other_genesis)
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("this store indexes chain {:?} (genesis {}), not chain {:?} (genesis {}): point "
                    "CHAIN_CORE at that chain's cores, or give a new SESSIONS_DATA_DB to index this one",
                    stored.chain_id, stored.genesis_hash.empty() ? "not yet known" : stored.genesis_hash,
                    chain_id, genesis_hash.empty() ? "not yet known" : genesis_hash));
  return db
      .prepare(
          "UPDATE chain SET chain_id = ?, genesis_hash = CASE WHEN genesis_hash = '' THEN ? ELSE "
          "genesis_hash END WHERE id = 1")
      .bind(1, chain_id)
      .bind(2, genesis_hash)
      .run();
}

// apply inside its transaction.
Status apply_batch(const sqlite::Database& db, const IndexBatch& batch) {
  if (batch.from_height == 0 || batch.through_height < batch.from_height)
    return fail(ErrorKind::kInvalidArgument, fmt::format("batch of heights {}..{}: not a range of heights",
                                                         batch.from_height, batch.through_height));
  auto q = db.prepare("SELECT indexed_height FROM chain WHERE id = 1");
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  const std::uint64_t indexed = from_column(q.integer(0));
  if (batch.through_height <= indexed) return {};
  if (batch.from_height > indexed + 1)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("batch starts at height {} but the store is indexed to {}: heights between would "
                            "be skipped",
                            batch.from_height, indexed));
  std::uint64_t sessions_added = 0, chunks_added = 0;
  for (const AnchorEvent& event : batch.events) {
    const std::uint64_t height = event_height(event);
    if (height < batch.from_height || height > batch.through_height)
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("event at height {} outside the batch's heights {}..{}", height,
                              batch.from_height, batch.through_height));
    if (height <= indexed) continue;
    Status s = std::holds_alternative<SessionAnchor>(event)
                   ? insert_session(db, std::get<SessionAnchor>(event), sessions_added)
                   : insert_chunks(db, std::get<ChunkAnchor>(event), chunks_added);
    if (!s) return s;
  }
  return db
      .prepare(
          "UPDATE chain SET indexed_height = ?, sessions = sessions + ?, chunk_anchors = chunk_anchors + ? "
          "WHERE id = 1")
      .bind(1, to_column(batch.through_height))
      .bind(2, to_column(sessions_added))
      .bind(3, to_column(chunks_added))
      .run();
}

}  // namespace

std::string cursor_to_text(const SessionCursor& cursor) {
  return fmt::format("{:016x}{}", cursor.height, to_hex(cursor.session_id));
}

std::optional<SessionCursor> cursor_from_text(std::string_view text) {
  std::array<std::uint8_t, 8> height{};
  SessionCursor cursor;
  if (text.size() != 48 || !from_hex_into(text.substr(0, 16), height) ||
      !from_hex_into(text.substr(16), cursor.session_id))
    return std::nullopt;
  for (std::uint8_t byte : height) cursor.height = (cursor.height << 8) | byte;
  return cursor;
}

Result<std::unique_ptr<SessionStore>> SessionStore::open(const std::filesystem::path& file) {
  if (auto created = create_store_directory(file); !created) return std::unexpected(created.error());
  auto db =
      sqlite::Database::open(file, {.what = "sessions store", .private_file = true, .busy_timeout_ms = 10000},
                             [&](const sqlite::Database& opened) { return write_schema(opened, file); });
  if (!db) {
    if (db.error().kind != ErrorKind::kIo) return std::unexpected(db.error());
    return fail(ErrorKind::kIo, fmt::format("{} (SESSIONS_DATA_DB names it)", db.error().message));
  }
  return std::unique_ptr<SessionStore>(new SessionStore(std::move(*db)));
}

Result<ChainIdentity> SessionStore::identity() const {
  MutexLock lock(mu_);
  auto q = db_.prepare("SELECT chain_id, genesis_hash FROM chain WHERE id = 1");
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorKind::kCorrupt, "sessions store: the chain row is missing");
  return ChainIdentity{q.text(0), q.text(1)};
}

Status SessionStore::bind_chain(const std::string& chain_id, const std::string& genesis_hash) {
  MutexLock lock(mu_);
  // The analysis checks a lambda apart from its caller: REQUIRES tells it the lock is held there.
  return db_.transaction([&]() REQUIRES(mu_) { return record_chain(db_, chain_id, genesis_hash); });
}

Status SessionStore::apply(const IndexBatch& batch) {
  MutexLock lock(mu_);
  return db_.transaction([&]() REQUIRES(mu_) { return apply_batch(db_, batch); });
}

Result<StoreTotals> SessionStore::totals() const {
  MutexLock lock(mu_);
  auto q = db_.prepare("SELECT indexed_height, sessions, chunk_anchors FROM chain WHERE id = 1");
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorKind::kCorrupt, "sessions store: the chain row is missing");
  return StoreTotals{from_column(q.integer(0)), from_column(q.integer(1)), from_column(q.integer(2))};
}

Result<std::optional<StoredSession>> SessionStore::session(const SessionId& id) const {
  MutexLock lock(mu_);
  auto q = db_.prepare(fmt::format("SELECT {} FROM sessions WHERE session_id = ?", kSessionColumns));
  q.bind(1, to_hex(id));
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<StoredSession>{};
  auto stored = read_session(q);
  if (!stored) return std::unexpected(stored.error());
  return std::optional<StoredSession>(*stored);
}

Result<SessionPage> SessionStore::sessions(const SessionQuery& query) const {
  if (query.limit == 0) return fail(ErrorKind::kInvalidArgument, "a page holds at least one session");
  MutexLock lock(mu_);
  const std::string sql = fmt::format(
      "SELECT {} FROM sessions WHERE {} height >= ? AND height <= ? AND (height, session_id) > (?, ?) "
      "ORDER BY height, session_id LIMIT ?",
      kSessionColumns, query.owner ? "owner = ? AND" : "");
  auto q = db_.prepare(sql);
  const int first = query.owner ? 2 : 1;  // the owner, when filtered on, is parameter 1
  if (query.owner) q.bind(1, to_hex(*query.owner));
  const std::uint64_t to = std::min<std::uint64_t>(query.to_height, INT64_MAX);
  const SessionCursor after = query.after.value_or(SessionCursor{});  // (0, "") precedes every session
  q.bind(first, to_column(query.from_height)).bind(first + 1, to_column(to));
  q.bind(first + 2, to_column(after.height));
  q.bind(first + 3, query.after ? to_hex(after.session_id) : std::string());
  // One more than asked for tells whether another page follows.
  q.bind(first + 4, to_column(query.limit + 1));
  SessionPage page;
  for (;;) {
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    if (page.sessions.size() == query.limit) {
      const SessionAnchor& last = page.sessions.back().anchor;
      page.next = SessionCursor{last.height, last.session_id};
      break;
    }
    auto stored = read_session(q);
    if (!stored) return std::unexpected(stored.error());
    page.sessions.push_back(*stored);
  }
  return page;
}

}  // namespace lucid::chain_index
