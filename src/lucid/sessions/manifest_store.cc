#include "lucid/sessions/manifest_store.h"

#include <array>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "lucid/sessions/required_fields.h"

namespace lucid::sessions {
namespace {

using sql::Value;

// Version 1. Lists walk (started_at_ms, session_id) backwards, alone or after a node key or a state;
// the sender walks the unanchored states by age; a sender's nonce belongs to one session (NULLs, before a
// transaction is stored, are distinct in both engines).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE manifest_sessions (
  session_id TEXT PRIMARY KEY,
  node_key TEXT NOT NULL,
  manifest_hash TEXT NOT NULL,
  merkle_root TEXT NOT NULL,
  chunk_count BIGINT NOT NULL,
  started_at_ms BIGINT NOT NULL,
  received_at_ms BIGINT NOT NULL,
  manifest TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'final')),
  tx_sender TEXT,
  tx_nonce BIGINT,
  tx_hash TEXT,
  raw_tx TEXT,
  sent_at_ms BIGINT,
  final_height BIGINT,
  final_block_hash TEXT,
  final_at_ms BIGINT
);
CREATE INDEX manifest_sessions_started ON manifest_sessions (started_at_ms, session_id);
CREATE INDEX manifest_sessions_node ON manifest_sessions (node_key, started_at_ms, session_id);
CREATE INDEX manifest_sessions_state ON manifest_sessions (state, started_at_ms, session_id);
CREATE INDEX manifest_sessions_queue ON manifest_sessions (state, received_at_ms);
CREATE UNIQUE INDEX manifest_sessions_nonce ON manifest_sessions (tx_sender, tx_nonce);
)sql";

constexpr std::array<std::string_view, 1> kSchema{kSchemaV1};

// Every column but the manifest, in the order read_session() reads them.
constexpr std::string_view kSummaryColumns =
    "session_id, node_key, manifest_hash, merkle_root, chunk_count, started_at_ms, received_at_ms, state, "
    "tx_sender, tx_nonce, tx_hash, raw_tx, sent_at_ms, final_height, final_block_hash, final_at_ms";

Result<StoredSession> read_session(const sql::Row& row, const std::string& where) {
  StoredSession s;
  std::size_t i = 0;
  Status bad;
  const auto text = [&](std::string& out, std::string_view column) {
    auto v = sql::text_at(row, i++, column);
    if (v)
      out = std::move(*v);
    else if (bad)
      bad = std::unexpected(v.error());
  };
  const auto integer = [&](std::int64_t& out, std::string_view column) {
    auto v = sql::integer_at(row, i++, column);
    if (v)
      out = *v;
    else if (bad)
      bad = std::unexpected(v.error());
  };
  std::string state;
  text(s.session_id, "session_id");
  text(s.node_key, "node_key");
  text(s.manifest_hash, "manifest_hash");
  text(s.merkle_root, "merkle_root");
  integer(s.chunk_count, "chunk_count");
  integer(s.started_at_ms, "started_at_ms");
  integer(s.received_at_ms, "received_at_ms");
  text(state, "state");
  AnchorTransaction tx;
  text(tx.sender, "tx_sender");
  integer(tx.nonce, "tx_nonce");
  text(tx.tx_hash, "tx_hash");
  text(tx.raw_tx, "raw_tx");
  integer(tx.sent_at_ms, "sent_at_ms");
  FinalAnchor final_anchor;
  integer(final_anchor.height, "final_height");
  text(final_anchor.block_hash, "final_block_hash");
  integer(final_anchor.final_at_ms, "final_at_ms");
  if (i < row.size()) text(s.manifest_json, "manifest");
  if (!bad) return std::unexpected(with_context(where, bad.error()));
  const auto parsed = parse_anchor_state(state);
  if (!parsed)
    return fail(ErrorKind::kCorrupt,
                fmt::format("{}: session {} has the state \"{}\"", where, s.session_id, state));
  s.state = *parsed;
  if (s.state != AnchorState::kQueued) s.transaction = std::move(tx);
  if (s.state == AnchorState::kFinal) s.final_anchor = std::move(final_anchor);
  return s;
}

// A page's cursor: "<started_at_ms>.<session_id>" of its last session. Clients treat it as opaque.
std::string make_cursor(const StoredSession& last) {
  return fmt::format("{}.{}", last.started_at_ms, last.session_id);
}

Result<std::pair<std::int64_t, std::string>> parse_cursor(std::string_view cursor) {
  const auto dot = cursor.find('.');
  std::int64_t started = 0;
  if (dot != std::string_view::npos && dot + 1 < cursor.size()) {
    auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + dot, started);
    if (ec == std::errc() && end == cursor.data() + dot)
      return std::pair{started, std::string(cursor.substr(dot + 1))};
  }
  return fail(
      ErrorKind::kInvalidArgument,
      fmt::format("cursor \"{}\" is not one this store gave: pass a page's next_cursor as it came, or "
                  "none for the first page",
                  cursor.substr(0, 80)));
}

}  // namespace

std::string_view anchor_state_name(AnchorState state) {
  switch (state) {
    case AnchorState::kQueued:
      return "queued";
    case AnchorState::kSent:
      return "sent";
    case AnchorState::kFinal:
      return "final";
  }
  return "?";
}

std::optional<AnchorState> parse_anchor_state(std::string_view name) {
  for (auto state : {AnchorState::kQueued, AnchorState::kSent, AnchorState::kFinal})
    if (anchor_state_name(state) == name) return state;
  return std::nullopt;
}

Result<std::unique_ptr<ManifestStore>> ManifestStore::open(std::string_view store) {
  auto db = sql::open(store, "session manifest store");
  if (!db) return std::unexpected(db.error());
  return on(std::move(*db));
}

Result<std::unique_ptr<ManifestStore>> ManifestStore::on(std::unique_ptr<sql::Connection> db) {
  if (auto migrated = sql::migrate(*db, "sessions.manifest_store", kSchema); !migrated)
    return std::unexpected(migrated.error());
  return std::unique_ptr<ManifestStore>(new ManifestStore(std::move(db)));
}

Result<Admission> ManifestStore::admit(const NewSession& session) {
  if (const char* field = first_empty({{&session.session_id, "session id"},
                                       {&session.node_key, "node key"},
                                       {&session.manifest_hash, "manifest hash"},
                                       {&session.merkle_root, "Merkle root"},
                                       {&session.manifest_json, "manifest"}}))
    return fail(ErrorKind::kInvalidArgument, fmt::format("the session's {} is empty", field));
  if (session.chunk_count < 0)
    return fail(ErrorKind::kInvalidArgument, fmt::format("session {}: chunk count {} is negative",
                                                         session.session_id, session.chunk_count));
  MutexLock lock(mu_);
  const std::array<Value, 8> row{session.session_id,     session.node_key,     session.manifest_hash,
                                 session.merkle_root,    session.chunk_count,  session.started_at_ms,
                                 session.received_at_ms, session.manifest_json};
  auto inserted = db_->execute(
      "INSERT INTO manifest_sessions (session_id, node_key, manifest_hash, merkle_root, chunk_count, "
      "started_at_ms, received_at_ms, manifest, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued') "
      "ON CONFLICT (session_id) DO NOTHING",
      row);
  if (!inserted) return std::unexpected(inserted.error());
  if (*inserted == 1) return Admission::kStored;
  // The id was taken: by this manifest (a submit retried after its answer was lost) or by another.
  const std::array<Value, 1> id{session.session_id};
  auto held = db_->query("SELECT manifest_hash FROM manifest_sessions WHERE session_id = $1", id);
  if (!held) return std::unexpected(held.error());
  if (held->empty())
    return fail(ErrorKind::kInternal, fmt::format("{}: session {} was neither inserted nor found",
                                                  db_->describe(), session.session_id));
  auto hash = sql::text_at(held->front(), 0, "manifest_hash");
  if (!hash) return std::unexpected(hash.error());
  return *hash == session.manifest_hash ? Admission::kAlreadyStored : Admission::kConflict;
}

Result<std::optional<StoredSession>> ManifestStore::find(std::string_view session_id) {
  MutexLock lock(mu_);
  return find_locked(session_id);
}

Result<std::optional<StoredSession>> ManifestStore::find_locked(std::string_view session_id) {
  const std::array<Value, 1> id{std::string(session_id)};
  auto rows = db_->query(
      fmt::format("SELECT {}, manifest FROM manifest_sessions WHERE session_id = $1", kSummaryColumns), id);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<StoredSession>();
  auto session = read_session(rows->front(), db_->describe());
  if (!session) return std::unexpected(session.error());
  return std::optional<StoredSession>(std::move(*session));
}

Result<StoredSession> ManifestStore::existing_locked(std::string_view session_id) {
  auto found = find_locked(session_id);
  if (!found) return std::unexpected(found.error());
  if (!*found)
    return fail(ErrorKind::kNotFound, fmt::format("{}: no session {}", db_->describe(), session_id));
  return std::move(**found);
}

Result<std::vector<StoredSession>> ManifestStore::anchor_work(int limit) {
  if (limit < 1 || limit > kMaxPageSize)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("anchor work limit {} is outside 1..{}", limit, kMaxPageSize));
  MutexLock lock(mu_);
  const std::array<Value, 1> n{std::int64_t{limit}};
  auto rows = db_->query(fmt::format("SELECT {} FROM manifest_sessions WHERE state IN ('queued', 'sent') "
                                     "ORDER BY received_at_ms, session_id LIMIT $1",
                                     kSummaryColumns),
                         n);
  if (!rows) return std::unexpected(rows.error());
  std::vector<StoredSession> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) {
    auto session = read_session(row, db_->describe());
    if (!session) return std::unexpected(session.error());
    out.push_back(std::move(*session));
  }
  return out;
}

Status ManifestStore::record_transaction(std::string_view session_id, const AnchorTransaction& tx) {
  if (const char* field = first_empty(
          {{&tx.sender, "sender"}, {&tx.tx_hash, "transaction hash"}, {&tx.raw_tx, "signed transaction"}}))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("session {}: the anchor transaction's {} is empty", session_id, field));
  if (tx.nonce < 0)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("session {}: nonce {} is negative", session_id, tx.nonce));
  MutexLock lock(mu_);
  // The analysis checks a lambda apart from its caller: REQUIRES tells it the lock is held there.
  return db_->transaction([&]() REQUIRES(mu_) -> Status {
    // Named here for the message; on PostgreSQL a concurrent sender is stopped by the unique index.
    const std::array<Value, 2> key{tx.sender, tx.nonce};
    auto owner =
        db_->query("SELECT session_id FROM manifest_sessions WHERE tx_sender = $1 AND tx_nonce = $2", key);
    if (!owner) return std::unexpected(owner.error());
    if (!owner->empty()) {
      auto other = sql::text_at(owner->front(), 0, "session_id");
      return fail(ErrorKind::kAlreadyExists,
                  fmt::format("{}: nonce {} of sender {} is already session {}'s anchor transaction",
                              db_->describe(), tx.nonce, tx.sender, other ? *other : std::string("?")));
    }
    const std::array<Value, 6> values{
        std::string(session_id), tx.sender, tx.nonce, tx.tx_hash, tx.raw_tx, tx.sent_at_ms};
    auto changed = db_->execute(
        "UPDATE manifest_sessions SET state = 'sent', tx_sender = $2, tx_nonce = $3, tx_hash = $4, "
        "raw_tx = $5, sent_at_ms = $6 WHERE session_id = $1 AND state = 'queued'",
        values);
    if (!changed) return std::unexpected(changed.error());
    if (*changed == 1) return {};
    auto current = existing_locked(session_id);
    if (!current) return std::unexpected(current.error());
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: session {} is {}, not queued: its anchor transaction is stored already",
                            db_->describe(), session_id, anchor_state_name(current->state)));
  });
}

Status ManifestStore::record_final(std::string_view session_id, const FinalAnchor& anchor) {
  if (anchor.block_hash.empty() || anchor.height < 0)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("session {}: a final anchor needs a block hash and a height", session_id));
  MutexLock lock(mu_);
  const std::array<Value, 4> values{std::string(session_id), anchor.height, anchor.block_hash,
                                    anchor.final_at_ms};
  auto changed = db_->execute(
      "UPDATE manifest_sessions SET state = 'final', final_height = $2, final_block_hash = $3, "
      "final_at_ms = $4 WHERE session_id = $1 AND state = 'sent'",
      values);
  if (!changed) return std::unexpected(changed.error());
  if (*changed == 1) return {};
  auto current = existing_locked(session_id);
  if (!current) return std::unexpected(current.error());
  const StoredSession& s = *current;
  if (s.state == AnchorState::kFinal && s.final_anchor->height == anchor.height &&
      s.final_anchor->block_hash == anchor.block_hash)
    return {};
  if (s.state == AnchorState::kFinal)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: session {} is final in block {} at height {}, not {} at {}", db_->describe(),
                            session_id, s.final_anchor->block_hash, s.final_anchor->height, anchor.block_hash,
                            anchor.height));
  return fail(ErrorKind::kInvalidArgument,
              fmt::format("{}: session {} is queued: no anchor transaction was stored to become final",
                          db_->describe(), session_id));
}

Result<std::optional<std::int64_t>> ManifestStore::highest_nonce(std::string_view sender) {
  MutexLock lock(mu_);
  const std::array<Value, 1> key{std::string(sender)};
  auto rows = db_->query("SELECT MAX(tx_nonce) FROM manifest_sessions WHERE tx_sender = $1", key);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty() || std::holds_alternative<std::monostate>(rows->front().at(0)))
    return std::optional<std::int64_t>();
  auto n = sql::integer_at(rows->front(), 0, "MAX(tx_nonce)");
  if (!n) return std::unexpected(n.error());
  return std::optional<std::int64_t>(*n);
}

Result<SessionPage> ManifestStore::list(const SessionFilter& filter) {
  if (filter.limit < 1 || filter.limit > kMaxPageSize)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("page size {} is outside 1..{}", filter.limit, kMaxPageSize));
  std::string where;
  std::vector<Value> params;
  const auto condition = [&](std::string_view text) {
    where += where.empty() ? " WHERE " : " AND ";
    where += text;
  };
  const auto param = [&](Value v) {
    params.push_back(std::move(v));
    return fmt::format("${}", params.size());
  };
  if (filter.node_key) condition(fmt::format("node_key = {}", param(*filter.node_key)));
  if (filter.started_from_ms) condition(fmt::format("started_at_ms >= {}", param(*filter.started_from_ms)));
  if (filter.started_before_ms)
    condition(fmt::format("started_at_ms < {}", param(*filter.started_before_ms)));
  if (filter.state)
    condition(fmt::format("state = {}", param(std::string(anchor_state_name(*filter.state)))));
  if (!filter.cursor.empty()) {
    auto cursor = parse_cursor(filter.cursor);
    if (!cursor) return std::unexpected(cursor.error());
    // After (started, id) in descending order; the first half is a plain range both engines index.
    const std::string started = param(cursor->first);
    const std::string id = param(cursor->second);
    condition(fmt::format("started_at_ms <= {0} AND (started_at_ms < {0} OR session_id < {1})", started, id));
  }
  const std::string limit = param(std::int64_t{filter.limit} + 1);  // one more: is there a next page?
  MutexLock lock(mu_);
  auto rows = db_->query(fmt::format("SELECT {} FROM manifest_sessions{} ORDER BY started_at_ms DESC, "
                                     "session_id DESC LIMIT {}",
                                     kSummaryColumns, where, limit),
                         params);
  if (!rows) return std::unexpected(rows.error());
  SessionPage page;
  const bool more = rows->size() > static_cast<std::size_t>(filter.limit);
  if (more) rows->pop_back();
  page.sessions.reserve(rows->size());
  for (const auto& row : *rows) {
    auto session = read_session(row, db_->describe());
    if (!session) return std::unexpected(session.error());
    page.sessions.push_back(std::move(*session));
  }
  if (more) page.next_cursor = make_cursor(page.sessions.back());
  return page;
}

Result<QueueDepth> ManifestStore::queue_depth() {
  MutexLock lock(mu_);
  auto counts = db_->query("SELECT state, COUNT(*) FROM manifest_sessions GROUP BY state");
  if (!counts) return std::unexpected(counts.error());
  QueueDepth depth;
  for (const auto& row : *counts) {
    auto state = sql::text_at(row, 0, "state");
    auto n = sql::integer_at(row, 1, "count");
    if (!state || !n)
      return fail(ErrorKind::kCorrupt, fmt::format("{}: unreadable state counts", db_->describe()));
    if (*state == "queued") depth.queued = *n;
    if (*state == "sent") depth.sent = *n;
    if (*state == "final") depth.final = *n;
  }
  auto oldest =
      db_->query("SELECT MIN(received_at_ms) FROM manifest_sessions WHERE state IN ('queued', 'sent')");
  if (!oldest) return std::unexpected(oldest.error());
  if (!oldest->empty() && !std::holds_alternative<std::monostate>(oldest->front().at(0))) {
    auto ms = sql::integer_at(oldest->front(), 0, "MIN(received_at_ms)");
    if (!ms) return std::unexpected(ms.error());
    depth.oldest_unanchored_received_at_ms = *ms;
  }
  return depth;
}

}  // namespace lucid::sessions
