// sessions-manifests' store (docs/sessions.md "The path of one session", steps 3–5): each submitted
// manifest under its session id, single use, with the state of its anchor on the chain — queued,
// sent (the signed transaction and its nonce stored before the first submit) and final (the block
// that holds it) — and the ordered, filtered lists sessions-index serves with a cursor. The data lives
// in SQLite or PostgreSQL (lucid::sql); the same calls give the same answers on either.
//
// Safe to share between threads: each call holds the store's lock for its statements.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/sql/connection.h"

namespace lucid::sessions {

enum class AnchorState { kQueued, kSent, kFinal };
std::string_view anchor_state_name(AnchorState state);  // "queued", "sent", "final"
std::optional<AnchorState> parse_anchor_state(std::string_view name);

// The anchor transaction as signed: resubmitted byte for byte until it is final, so a restart or a
// chain outage never makes a second anchor. One (sender, nonce) belongs to one session.
struct AnchorTransaction {
  std::string sender;  // the sending key's chain address
  std::int64_t nonce = 0;
  std::string tx_hash;  // hex
  std::string raw_tx;   // hex of the signed transaction's bytes
  std::int64_t sent_at_ms = 0;
};

struct FinalAnchor {
  std::int64_t height = 0;
  std::string block_hash;  // hex
  std::int64_t final_at_ms = 0;
};

// What sessions-manifests stores for a manifest it accepted.
struct NewSession {
  std::string session_id;     // the manifest's UUID
  std::string node_key;       // hex of the node participant's Ed25519 key (the token's `sub`)
  std::string manifest_hash;  // hex BLAKE3 of the manifest's canonical unsigned bytes
  std::string merkle_root;    // hex
  std::int64_t chunk_count = 0;
  std::int64_t started_at_ms = 0;   // the manifest's created_at
  std::int64_t received_at_ms = 0;  // when sessions-manifests accepted it
  std::string manifest_json;        // the manifest as submitted
};

struct StoredSession {
  std::string session_id;
  std::string node_key;
  std::string manifest_hash;
  std::string merkle_root;
  std::int64_t chunk_count = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t received_at_ms = 0;
  std::string manifest_json;  // filled by find(); lists leave it empty
  AnchorState state = AnchorState::kQueued;
  std::optional<AnchorTransaction> transaction;  // from sent on
  std::optional<FinalAnchor> final_anchor;       // when final
};

enum class Admission {
  kStored,         // new: stored and queued for its anchor
  kAlreadyStored,  // this manifest was stored under this id before: a retried submit, answered the same
  kConflict,       // the id holds another manifest: ids are single use
};

struct SessionFilter {
  std::optional<std::string> node_key;
  std::optional<std::int64_t> started_from_ms;    // inclusive
  std::optional<std::int64_t> started_before_ms;  // exclusive
  std::optional<AnchorState> state;
  std::string cursor;  // from the previous page's next_cursor; empty for the first page
  int limit = 100;     // 1..kMaxPageSize
};

struct SessionPage {
  std::vector<StoredSession> sessions;  // newest started first (ties: session id, descending)
  std::string next_cursor;              // empty when this is the last page
};

struct QueueDepth {
  std::int64_t queued = 0;
  std::int64_t sent = 0;
  std::int64_t final = 0;
  std::optional<std::int64_t> oldest_unanchored_received_at_ms;  // the queue's age, for the health check
};

class ManifestStore {
 public:
  static constexpr int kMaxPageSize = 1000;

  // Opens what `store` names (lucid::sql::open: "sqlite:PATH" or a postgresql:// URL) and brings its
  // schema to this program's version.
  static Result<std::unique_ptr<ManifestStore>> open(std::string_view store);
  static Result<std::unique_ptr<ManifestStore>> on(std::unique_ptr<sql::Connection> db);

  Result<Admission> admit(const NewSession& session) EXCLUDES(mu_);
  Result<std::optional<StoredSession>> find(std::string_view session_id) EXCLUDES(mu_);

  // Sessions whose anchor is not final, oldest received first: what the sender works on.
  Result<std::vector<StoredSession>> anchor_work(int limit) EXCLUDES(mu_);
  // queued → sent, storing the signed transaction. kNotFound for an unknown id; kInvalidArgument when
  // the session is not queued; kAlreadyExists when the sender's nonce is another session's.
  Status record_transaction(std::string_view session_id, const AnchorTransaction& tx) EXCLUDES(mu_);
  // sent → final. The same final anchor recorded again is accepted (a repeated receipt poll).
  Status record_final(std::string_view session_id, const FinalAnchor& anchor) EXCLUDES(mu_);
  // The sender's highest stored nonce: where its next transaction starts after a restart.
  Result<std::optional<std::int64_t>> highest_nonce(std::string_view sender) EXCLUDES(mu_);

  Result<SessionPage> list(const SessionFilter& filter) EXCLUDES(mu_);
  Result<QueueDepth> queue_depth() EXCLUDES(mu_);

 private:
  explicit ManifestStore(std::unique_ptr<sql::Connection> db) : db_(std::move(db)) {}
  Result<std::optional<StoredSession>> find_locked(std::string_view session_id) REQUIRES(mu_);
  // The session, or kNotFound naming it: for the transitions that found no row in the state they need.
  Result<StoredSession> existing_locked(std::string_view session_id) REQUIRES(mu_);

  Mutex mu_;
  std::unique_ptr<sql::Connection> db_ PT_GUARDED_BY(mu_);
};

}  // namespace lucid::sessions
