#include "lucid/console/history_store.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace lucid::console {

namespace {

// One row per unchanged stretch of a site's reports: a poll that finds what the newest row holds
// (fields that change with every answer aside) only moves that row's polled_at. The store grows
// with changes on the sites, not with the number of polls.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS observations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  polled_at INTEGER NOT NULL,
  reachable INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'null',
  fingerprint TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS observations_cluster ON observations(cluster, polled_at);
CREATE TABLE IF NOT EXISTS automatic_pauses (
  key TEXT PRIMARY KEY,
  paused_at INTEGER NOT NULL);
)sql";

// Fields of a site's status that change with every answer without the site's state changing.
constexpr const char* kVolatile[] = {"reported", "desired_age_seconds"};

// What makes two observations the same state.
std::string fingerprint(const rollout::Observation& o) {
  nlohmann::json s = o.status;
  if (s.is_object())
    for (const char* k : kVolatile) s.erase(k);
  return fmt::format("{}\n{}\n{}", o.reachable ? 1 : 0, o.error, s.dump());
}

Error db_error(sqlite3* db, const char* what) {
  return Error{ErrorKind::kIo, fmt::format("console history: {}: {}", what, sqlite3_errmsg(db))};
}

struct Stmt {
  Stmt(sqlite3* db, const char* sql) { rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* s = nullptr;
  int rc = SQLITE_OK;
};

constexpr const char* kColumns = "cluster, first_seen, polled_at, reachable, error, status";

rollout::Observation row(sqlite3_stmt* s) {
  rollout::Observation o;
  o.cluster = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  o.first_seen = sqlite3_column_int64(s, 1);
  o.polled_at = sqlite3_column_int64(s, 2);
  o.reachable = sqlite3_column_int(s, 3) != 0;
  o.error = reinterpret_cast<const char*>(sqlite3_column_text(s, 4));
  o.status = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(s, 5)), nullptr, false);
  if (o.status.is_discarded()) o.status = nullptr;
  return o;
}

}  // namespace

Result<HistoryStore> HistoryStore::open(const std::filesystem::path& file, std::chrono::seconds keep) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(ErrorKind::kIo, fmt::format("console history {}: {}", file.string(), why));
  }
  HistoryStore store(db, keep);
  sqlite3_busy_timeout(db, 5000);
  // journal_size_limit: the write-ahead log is truncated back to 16 MiB at checkpoints.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                          "PRAGMA journal_size_limit=16777216", kSchema})
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
      return std::unexpected(db_error(db, file.c_str()));
  return store;
}

HistoryStore::HistoryStore(HistoryStore&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), keep_(o.keep_), mu_(std::move(o.mu_)) {}

HistoryStore& HistoryStore::operator=(HistoryStore&& o) noexcept {
  if (this != &o) {
    sqlite3_close(db_);
    db_ = std::exchange(o.db_, nullptr);
    keep_ = o.keep_;
    mu_ = std::move(o.mu_);
  }
  return *this;
}

HistoryStore::~HistoryStore() {
  sqlite3_close(db_);
}

Result<std::set<std::string>> HistoryStore::automatic_pauses() const {
  std::lock_guard lock(*mu_);
  Stmt q(db_, "SELECT key FROM automatic_pauses");
  if (q.rc != SQLITE_OK) return std::unexpected(db_error(db_, "read automatic pauses"));
  std::set<std::string> keys;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW)
    keys.insert(reinterpret_cast<const char*>(sqlite3_column_text(q.s, 0)));
  if (rc != SQLITE_DONE) return std::unexpected(db_error(db_, "read automatic pauses"));
  return keys;
}

Status HistoryStore::record_automatic_pause(const std::string& key, std::int64_t at) {
  std::lock_guard lock(*mu_);
  Stmt q(db_, "INSERT OR IGNORE INTO automatic_pauses(key, paused_at) VALUES (?, ?)");
  if (q.rc != SQLITE_OK) return std::unexpected(db_error(db_, "record an automatic pause"));
  sqlite3_bind_text(q.s, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(q.s, 2, at);
  if (sqlite3_step(q.s) != SQLITE_DONE) return std::unexpected(db_error(db_, "record an automatic pause"));
  return {};
}

Status HistoryStore::add(const rollout::Observation& o) {
  std::lock_guard lock(*mu_);
  const std::string print = fingerprint(o);
  // The same state as the cluster's newest row (another process may share the file: ask the file).
  {
    Stmt last(db_, "SELECT id, fingerprint FROM observations WHERE cluster = ? ORDER BY id DESC LIMIT 1");
    if (last.rc != SQLITE_OK) return std::unexpected(db_error(db_, "read"));
    sqlite3_bind_text(last.s, 1, o.cluster.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(last.s) == SQLITE_ROW &&
        print == reinterpret_cast<const char*>(sqlite3_column_text(last.s, 1))) {
      const std::int64_t id = sqlite3_column_int64(last.s, 0);
      // Only the time: the status kept is the stretch's first answer (its volatile fields, such as
      // the site's `reported` clock, are of that poll; polled_at says when it was last seen).
      Stmt extend(db_, "UPDATE observations SET polled_at = MAX(polled_at, ?) WHERE id = ?");
      if (extend.rc != SQLITE_OK) return std::unexpected(db_error(db_, "update"));
      sqlite3_bind_int64(extend.s, 1, o.polled_at);
      sqlite3_bind_int64(extend.s, 2, id);
      if (sqlite3_step(extend.s) != SQLITE_DONE) return std::unexpected(db_error(db_, "update"));
      return {};
    }
  }
  {
    const std::string status = o.status.dump();
    Stmt st(db_,
            "INSERT INTO observations(cluster, first_seen, polled_at, reachable, error, status, fingerprint) "
            "VALUES (?,?,?,?,?,?,?)");
    if (st.rc != SQLITE_OK) return std::unexpected(db_error(db_, "insert"));
    sqlite3_bind_text(st.s, 1, o.cluster.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st.s, 2, o.first_seen != 0 ? o.first_seen : o.polled_at);
    sqlite3_bind_int64(st.s, 3, o.polled_at);
    sqlite3_bind_int(st.s, 4, o.reachable ? 1 : 0);
    sqlite3_bind_text(st.s, 5, o.error.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.s, 6, status.c_str(), static_cast<int>(status.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st.s, 7, print.c_str(), static_cast<int>(print.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st.s) != SQLITE_DONE) return std::unexpected(db_error(db_, "insert"));
  }
  // Bounded: stretches that ended more than `keep` ago go (the newest of a cluster always stays).
  Stmt prune(db_,
             "DELETE FROM observations WHERE cluster = ? AND polled_at < ? AND id < "
             "(SELECT MAX(id) FROM observations WHERE cluster = ?)");
  if (prune.rc != SQLITE_OK) return std::unexpected(db_error(db_, "prune"));
  sqlite3_bind_text(prune.s, 1, o.cluster.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(prune.s, 2, o.polled_at - keep_.count());
  sqlite3_bind_text(prune.s, 3, o.cluster.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(prune.s) != SQLITE_DONE) return std::unexpected(db_error(db_, "prune"));
  return {};
}

Result<std::vector<rollout::Observation>> HistoryStore::history(const std::string& cluster,
                                                                std::int64_t since) const {
  std::lock_guard lock(*mu_);
  const std::string sql =
      fmt::format("SELECT {} FROM observations WHERE cluster = ? AND polled_at >= ? ORDER BY id", kColumns);
  Stmt st(db_, sql.c_str());
  if (st.rc != SQLITE_OK) return std::unexpected(db_error(db_, "history"));
  sqlite3_bind_text(st.s, 1, cluster.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 2, since);
  std::vector<rollout::Observation> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) out.push_back(row(st.s));
  if (rc != SQLITE_DONE) return std::unexpected(db_error(db_, "history"));
  return out;
}

Result<rollout::Observation> HistoryStore::latest(const std::string& cluster) const {
  std::lock_guard lock(*mu_);
  const std::string sql =
      fmt::format("SELECT {} FROM observations WHERE cluster = ? ORDER BY id DESC LIMIT 1", kColumns);
  Stmt st(db_, sql.c_str());
  if (st.rc != SQLITE_OK) return std::unexpected(db_error(db_, "latest"));
  sqlite3_bind_text(st.s, 1, cluster.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_ROW) return row(st.s);
  if (rc != SQLITE_DONE) return std::unexpected(db_error(db_, "latest"));
  return rollout::Observation{};
}

}  // namespace lucid::console
