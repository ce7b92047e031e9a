// blockchain-sessions-data's store: one SQLite file (WAL) mirroring the sessions anchored on the
// data chain, the chunk anchors counted per session, the chain it indexes and the height indexed so
// far. Each batch of heights is one transaction, so a process killed at any point leaves whole
// heights only, and a batch re-read after a restart or a truncated answer changes nothing twice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/chain_index/anchor_event.h"
#include "lucid/sqlite/database.h"

namespace lucid::chain_index {

// The chain a store indexes, recorded on first use ("" until known), in lower-case hex.
struct ChainIdentity {
  std::string chain_id;
  std::string genesis_hash;  // block 1's "previous"; "" until the chain has a block
};

// What the store holds in figures.
struct StoreTotals {
  std::uint64_t indexed_height = 0;  // every height up to this one is stored
  std::uint64_t sessions = 0;
  std::uint64_t chunk_anchors = 0;  // leaf hashes anchored, over every session
};

// A session as the API serves it.
struct StoredSession {
  SessionAnchor anchor;
  std::uint64_t chunk_anchors = 0;
};

// Where a page of the session list stopped: the last (height, session id) served. Written as 48 hex
// digits (16 of height, 32 of session id); opaque to clients, stable across restarts.
struct SessionCursor {
  std::uint64_t height = 0;
  SessionId session_id{};
};
std::string cursor_to_text(const SessionCursor& cursor);
std::optional<SessionCursor> cursor_from_text(std::string_view text);

struct SessionQuery {
  std::optional<Hash32> owner;
  std::uint64_t from_height = 0;
  std::uint64_t to_height = UINT64_MAX;
  std::optional<SessionCursor> after;
  std::size_t limit = 100;
};

struct SessionPage {
  std::vector<StoredSession> sessions;  // by height, then session id
  std::optional<SessionCursor> next;    // set when more sessions match
};

// The events of heights from_height..through_height (every one of them, in chain order).
struct IndexBatch {
  std::uint64_t from_height = 0;
  std::uint64_t through_height = 0;
  std::vector<AnchorEvent> events;
};

class SessionStore {
 public:
  // Opens (creating if needed) the database at `file`: its directory 0700, the files 0600, WAL, a
  // busy timeout, and the schema (refused when a newer indexer wrote it).
  static Result<std::unique_ptr<SessionStore>> open(const std::filesystem::path& file);
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  Result<ChainIdentity> identity() const EXCLUDES(mu_);
  // Records the chain id, and the genesis hash when given, the first time each is known; refuses
  // (kInvalidArgument, naming both) a chain other than the one recorded.
  Status bind_chain(const std::string& chain_id, const std::string& genesis_hash) EXCLUDES(mu_);

  // Stores a batch and advances the indexed height to its end, in one transaction: all of it or
  // nothing. Heights already indexed are skipped (re-reading is harmless); a batch starting after
  // indexed + 1 would leave a gap and is refused. A session anchored twice with other fields, or
  // chunk anchors of a session never anchored, fail the batch (kCorrupt).
  Status apply(const IndexBatch& batch) EXCLUDES(mu_);

  Result<StoreTotals> totals() const EXCLUDES(mu_);
  Result<std::optional<StoredSession>> session(const SessionId& id) const EXCLUDES(mu_);
  Result<SessionPage> sessions(const SessionQuery& query) const EXCLUDES(mu_);

 private:
  explicit SessionStore(sqlite::Database db) : db_(std::move(db)) {}

  // One connection, shared by the indexer (writes) and the API (reads): the lock keeps a reader from
  // seeing a batch half-written inside the writer's open transaction.
  mutable Mutex mu_;
  sqlite::Database db_ GUARDED_BY(mu_);
};

}  // namespace lucid::chain_index
