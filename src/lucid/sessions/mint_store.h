// sessions-gateway's store (docs/sessions.md "The path of one session", step 1): the session ids it
// minted, each bound to the requesting node's key and the hash of the privacy policy it negotiated,
// and the nonces of the signed mint requests, so that a replayed request mints nothing. A mint and
// its nonce are stored together or not at all. On SQLite or PostgreSQL (lucid::sql); several gateway
// replicas on one PostgreSQL database refuse a nonce replayed to another replica.
//
// Safe to share between threads: each call holds the store's lock for its statements.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/sql/connection.h"

namespace lucid::sessions {

struct MintRecord {
  std::string session_id;   // UUIDv4 from the OS's random source
  std::string node_key;     // hex of the requesting node's Ed25519 key
  std::string policy_hash;  // hex BLAKE3 of the policy snapshot's canonical JSON
  std::int64_t minted_at_ms = 0;
  std::int64_t expires_at_ms = 0;  // when the session:write token minted with it expires
};

struct MintRequest {
  MintRecord record;
  std::string nonce;  // the signed request's random nonce, unique per node
};

enum class MintOutcome {
  kMinted,    // the id and the nonce are stored
  kReplayed,  // the node used this nonce before: nothing stored
};

class MintStore {
 public:
  // lucid::sql::open's store names: "sqlite:PATH" or a postgresql:// URL. Brings the schema to this
  // program's version.
  static Result<std::unique_ptr<MintStore>> open(std::string_view store);
  static Result<std::unique_ptr<MintStore>> on(std::unique_ptr<sql::Connection> db);

  // Stores the nonce and the mint in one transaction. kAlreadyExists (nothing stored, the nonce not
  // used up) when the id was minted before: ids are never reused, so the caller draws another.
  Result<MintOutcome> mint(const MintRequest& request) EXCLUDES(mu_);
  // Ok when the database answers a query (the gateway's health).
  Status ping() EXCLUDES(mu_);
  Result<std::optional<MintRecord>> find(std::string_view session_id) EXCLUDES(mu_);
  // Forgets nonces first seen before `before_ms`; the number forgotten. The gateway refuses requests
  // whose timestamp is outside its window before it looks at the nonce, so a nonce older than the
  // window cannot be replayed and need not be kept.
  Result<std::int64_t> forget_nonces_before(std::int64_t before_ms) EXCLUDES(mu_);

 private:
  explicit MintStore(std::unique_ptr<sql::Connection> db) : db_(std::move(db)) {}

  Mutex mu_;
  std::unique_ptr<sql::Connection> db_ PT_GUARDED_BY(mu_);
};

}  // namespace lucid::sessions
