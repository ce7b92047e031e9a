#include "lucid/sessions/mint_store.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "lucid/sessions/required_fields.h"

namespace lucid::sessions {
namespace {

using sql::Value;

// Version 1. A nonce is unique per node; the prune walks nonces by age.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE session_mints (
  session_id TEXT PRIMARY KEY,
  node_key TEXT NOT NULL,
  policy_hash TEXT NOT NULL,
  minted_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL
);
CREATE TABLE mint_nonces (
  node_key TEXT NOT NULL,
  nonce TEXT NOT NULL,
  seen_at_ms BIGINT NOT NULL,
  PRIMARY KEY (node_key, nonce)
);
CREATE INDEX mint_nonces_seen ON mint_nonces (seen_at_ms);
)sql";

constexpr std::array<std::string_view, 1> kSchema{kSchemaV1};

}  // namespace

Result<std::unique_ptr<MintStore>> MintStore::open(std::string_view store) {
  auto db = sql::open(store, "session mint store");
  if (!db) return std::unexpected(db.error());
  return on(std::move(*db));
}

Result<std::unique_ptr<MintStore>> MintStore::on(std::unique_ptr<sql::Connection> db) {
  if (auto migrated = sql::migrate(*db, "sessions.mint_store", kSchema); !migrated)
    return std::unexpected(migrated.error());
  return std::unique_ptr<MintStore>(new MintStore(std::move(db)));
}

Result<MintOutcome> MintStore::mint(const MintRequest& request) {
  const MintRecord& r = request.record;
  if (const char* field = first_empty({{&r.session_id, "session id"},
                                       {&r.node_key, "node key"},
                                       {&r.policy_hash, "policy hash"},
                                       {&request.nonce, "nonce"}}))
    return fail(ErrorKind::kInvalidArgument, fmt::format("a mint's {} is empty", field));
  if (r.expires_at_ms <= r.minted_at_ms)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("session {}: expires at {} ms, not after it is minted ({} ms)", r.session_id,
                            r.expires_at_ms, r.minted_at_ms));
  MutexLock lock(mu_);
  MintOutcome outcome = MintOutcome::kMinted;
  // The analysis checks a lambda apart from its caller: REQUIRES tells it the lock is held there.
  auto stored = db_->transaction([&]() REQUIRES(mu_) -> Status {
    // First the nonce: on PostgreSQL a replica inserting the same one waits for this transaction and
    // then finds it.
    const std::array<Value, 3> nonce{r.node_key, request.nonce, r.minted_at_ms};
    auto fresh = db_->execute(
        "INSERT INTO mint_nonces (node_key, nonce, seen_at_ms) VALUES ($1, $2, $3) "
        "ON CONFLICT (node_key, nonce) DO NOTHING",
        nonce);
    if (!fresh) return std::unexpected(fresh.error());
    if (*fresh == 0) {
      outcome = MintOutcome::kReplayed;
      return {};
    }
    const std::array<Value, 5> mint{r.session_id, r.node_key, r.policy_hash, r.minted_at_ms, r.expires_at_ms};
    auto minted = db_->execute(
        "INSERT INTO session_mints (session_id, node_key, policy_hash, minted_at_ms, expires_at_ms) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO NOTHING",
        mint);
    if (!minted) return std::unexpected(minted.error());
    if (*minted == 0)  // the transaction rolls back: the nonce stays unused
      return fail(ErrorKind::kAlreadyExists,
                  fmt::format("{}: session id {} was minted before; ids are never reused", db_->describe(),
                              r.session_id));
    return {};
  });
  if (!stored) return std::unexpected(stored.error());
  return outcome;
}

Status MintStore::ping() {
  MutexLock lock(mu_);
  auto rows = db_->query("SELECT 1");
  if (!rows) return std::unexpected(rows.error());
  return {};
}

Result<std::optional<MintRecord>> MintStore::find(std::string_view session_id) {
  MutexLock lock(mu_);
  const std::array<Value, 1> id{std::string(session_id)};
  auto rows = db_->query(
      "SELECT session_id, node_key, policy_hash, minted_at_ms, expires_at_ms FROM session_mints "
      "WHERE session_id = $1",
      id);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<MintRecord>();
  const sql::Row& row = rows->front();
  auto sid = sql::text_at(row, 0, "session_id");
  auto node = sql::text_at(row, 1, "node_key");
  auto policy = sql::text_at(row, 2, "policy_hash");
  auto minted = sql::integer_at(row, 3, "minted_at_ms");
  auto expires = sql::integer_at(row, 4, "expires_at_ms");
  for (const Error* e :
       {sid ? nullptr : &sid.error(), node ? nullptr : &node.error(), policy ? nullptr : &policy.error(),
        minted ? nullptr : &minted.error(), expires ? nullptr : &expires.error()})
    if (e != nullptr) return std::unexpected(with_context(db_->describe(), *e));
  return std::optional<MintRecord>(MintRecord{*sid, *node, *policy, *minted, *expires});
}

Result<std::int64_t> MintStore::forget_nonces_before(std::int64_t before_ms) {
  MutexLock lock(mu_);
  const std::array<Value, 1> before{before_ms};
  return db_->execute("DELETE FROM mint_nonces WHERE seen_at_ms < $1", before);
}

}  // namespace lucid::sessions
