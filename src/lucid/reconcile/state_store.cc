#include "lucid/reconcile/state_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/time.h"

namespace lucid::reconcile {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS clusters (
  cluster TEXT PRIMARY KEY,
  desired TEXT NOT NULL DEFAULT '',
  applied TEXT NOT NULL DEFAULT '',
  last_good TEXT NOT NULL DEFAULT '',
  applied_plan TEXT NOT NULL DEFAULT '',
  applied_hashes TEXT NOT NULL DEFAULT '{}',
  last_good_plan TEXT NOT NULL DEFAULT '',
  updated TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  reasons TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS attempts_cluster ON attempts(cluster, id);
CREATE TABLE IF NOT EXISTS bad_commits (
  cluster TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  marked TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (cluster, commit_id));
)sql";

// One prepared statement, finalized at scope exit; binds text and integers by position (1-based).
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& text(int i, const std::string& v) {
    if (rc_ == SQLITE_OK)
      rc_ = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& integer(int i, std::int64_t v) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // SQLITE_ROW → true, SQLITE_DONE → false.
  Result<bool> step() {
    if (rc_ != SQLITE_OK) return fail(ErrorKind::kIo, fmt::format("state store: {}", sqlite3_errmsg(db_)));
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail(ErrorKind::kIo, fmt::format("state store: {}", sqlite3_errmsg(db_)));
  }
  Status run() {
    auto r = step();
    if (!r) return std::unexpected(r.error());
    return {};
  }
  std::string col(int i) const {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }
  std::int64_t col_int(int i) const { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Every row's first column of a query that selects one text column.
Result<std::vector<std::string>> first_column(Stmt& q) {
  std::vector<std::string> out;
  for (;;) {
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(q.col(0));
  }
  return out;
}

Status ensure_row(sqlite3* db, const std::string& cluster) {
  return Stmt(db, "INSERT OR IGNORE INTO clusters(cluster) VALUES (?)").text(1, cluster).run();
}

std::vector<std::string> parse_reasons(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_array())
    for (const auto& r : j)
      if (r.is_string()) out.push_back(r.get<std::string>());
  return out;
}

}  // namespace

// The state dir holds the mirror, plans (secret references, commit history) and the store: 0700,
// state.db and its WAL/SHM 0600. New ones are created so; existing ones are tightened.
Result<StateStore> StateStore::open(const std::filesystem::path& file) {
  // Tightens `path` to `mode` when group or others have any access.
  auto restrict_mode = [](const std::filesystem::path& path, mode_t mode, const char* what) -> Status {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return {};
      return fail(ErrorKind::kIo, fmt::format("{}: {}", path.string(), errno_text(errno)));
    }
    if ((st.st_mode & 077) == 0) return {};
    if (::chmod(path.c_str(), mode) != 0)
      return fail(ErrorKind::kIo,
                  fmt::format("{}: {} is mode {:o} and cannot be restricted to {:o}: {} (chmod it, or run as "
                              "its owner)",
                              path.string(), what, st.st_mode & 07777, mode, errno_text(errno)));
    return {};
  };
  if (file.has_parent_path()) {
    const std::filesystem::path dir = file.parent_path();
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return fail(ErrorKind::kIo,
                  fmt::format("{}: cannot create the state directory: {}", dir.string(), errno_text(errno)));
    if (auto s = restrict_mode(dir, 0700, "the state directory"); !s) return std::unexpected(s.error());
  }
  // SQLite creates the database 0644 (less the umask) and gives the -wal/-shm files the database's
  // mode: create it 0600 first.
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(ErrorKind::kIo,
                fmt::format("{}: cannot open state store: {}", file.string(), errno_text(errno)));
  ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm"})
    if (auto s = restrict_mode(file.string() + suffix, 0600, "the state store"); !s)
      return std::unexpected(s.error());
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(ErrorKind::kIo, fmt::format("{}: cannot open state store: {}", file.string(), msg));
  }
  StateStore store(db);
  sqlite3_busy_timeout(db, 10000);
  for (const char* sql : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"})
    if (auto s = store.exec(sql); !s) return std::unexpected(with_context(file.string(), s.error()));
  // Several reconcilers (one per cluster) may open one new store at the same moment. The switch to
  // WAL and the schema, with the columns added since, are made one opener at a time: the schema in
  // a write transaction that re-checks what is there. The busy timeout covers most waits, but SQLite
  // answers BUSY at once where waiting could deadlock (a journal-mode change, a read lock that would
  // have to be upgraded), so those steps are retried for the same 10 s.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto busy_again = [&] {
    const int code = sqlite3_errcode(db) & 0xff;
    return (code == SQLITE_BUSY || code == SQLITE_LOCKED) && std::chrono::steady_clock::now() < until;
  };
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); };
  for (;;) {
    auto s = store.exec("PRAGMA journal_mode=WAL");
    if (s) break;
    if (!busy_again()) return std::unexpected(with_context(file.string(), s.error()));
    pause();
  }
  for (;;) {
    Status s = store.exec("BEGIN IMMEDIATE");
    if (!s) {
      if (!busy_again()) return std::unexpected(with_context(file.string(), s.error()));
      pause();
      continue;
    }
    s = store.exec(kSchema);
    // Added with waves (issue 11): the ref the cluster follows. Stores made before lack the column.
    if (s) {
      auto has =
          Stmt(store.db_, "SELECT 1 FROM pragma_table_info('clusters') WHERE name = 'tracked_ref'").step();
      if (!has)
        s = std::unexpected(has.error());
      else if (!*has)
        s = store.exec("ALTER TABLE clusters ADD COLUMN tracked_ref TEXT NOT NULL DEFAULT ''");
    }
    if (s) s = store.exec("COMMIT");
    if (s) break;
    const bool retry = busy_again();
    (void)store.exec("ROLLBACK");
    if (!retry) return std::unexpected(with_context(file.string(), s.error()));
    pause();
  }
  return store;
}

StateStore::StateStore(StateStore&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
StateStore& StateStore::operator=(StateStore&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}
StateStore::~StateStore() {
  sqlite3_close(db_);
}

Status StateStore::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return fail(ErrorKind::kIo, fmt::format("state store: {}", msg));
  }
  return {};
}

Status StateStore::transaction(const std::function<Status()>& body) {
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s;
  Status result = body();
  if (!result) {
    (void)exec("ROLLBACK");
    return result;
  }
  if (auto s = exec("COMMIT"); !s) {
    (void)exec("ROLLBACK");
    return s;
  }
  return {};
}

Result<ClusterRecord> StateStore::cluster(const std::string& cluster) const {
  Stmt q(db_,
         "SELECT desired, applied, last_good, applied_plan, applied_hashes, last_good_plan, updated, "
         "tracked_ref "
         "FROM clusters WHERE cluster = ?");
  q.text(1, cluster);
  ClusterRecord rec;
  rec.cluster = cluster;
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return rec;
  rec.desired = q.col(0);
  rec.applied = q.col(1);
  rec.last_good = q.col(2);
  rec.applied_plan = q.col(3);
  auto hashes = nlohmann::json::parse(q.col(4), nullptr, false);
  if (hashes.is_object())
    for (const auto& [k, v] : hashes.items())
      if (v.is_string()) rec.applied_hashes[k] = v.get<std::string>();
  rec.last_good_plan = q.col(5);
  rec.updated = q.col(6);
  rec.tracked_ref = q.col(7);
  return rec;
}

Status StateStore::set_desired(const std::string& cluster, const std::string& commit,
                               const std::string& ref) {
  if (auto s = ensure_row(db_, cluster); !s) return s;
  return Stmt(db_, "UPDATE clusters SET desired = ?, tracked_ref = ?, updated = ? WHERE cluster = ?")
      .text(1, commit)
      .text(2, ref)
      .text(3, utc_now_rfc3339())
      .text(4, cluster)
      .run();
}

Result<std::string> StateStore::promoted_at(const std::string& cluster, const std::string& commit) const {
  Stmt q(db_,
         "SELECT finished FROM attempts WHERE cluster = ? AND commit_id = ? AND outcome = ? "
         "ORDER BY id DESC LIMIT 1");
  q.text(1, cluster).text(2, commit).text(3, std::string(to_string(PassOutcome::kPromoted)));
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  return *row ? q.col(0) : std::string();
}

Status StateStore::set_applied(const std::string& cluster, const std::string& commit,
                               const std::string& plan_yaml,
                               const std::map<std::string, std::string>& hashes) {
  if (auto s = ensure_row(db_, cluster); !s) return s;
  nlohmann::json h = hashes;
  return Stmt(db_,
              "UPDATE clusters SET applied = ?, applied_plan = ?, applied_hashes = ?, updated = ? WHERE "
              "cluster = ?")
      .text(1, commit)
      .text(2, plan_yaml)
      .text(3, h.dump())
      .text(4, utc_now_rfc3339())
      .text(5, cluster)
      .run();
}

Status StateStore::set_last_good(const std::string& cluster, const std::string& commit,
                                 const std::string& plan_yaml) {
  if (auto s = ensure_row(db_, cluster); !s) return s;
  return Stmt(db_, "UPDATE clusters SET last_good = ?, last_good_plan = ?, updated = ? WHERE cluster = ?")
      .text(1, commit)
      .text(2, plan_yaml)
      .text(3, utc_now_rfc3339())
      .text(4, cluster)
      .run();
}

Result<std::int64_t> StateStore::begin_attempt(const std::string& cluster, const std::string& commit,
                                               AttemptKind kind) {
  Stmt q(db_, "INSERT INTO attempts(cluster, commit_id, kind, started) VALUES (?, ?, ?, ?)");
  q.text(1, cluster).text(2, commit).text(3, std::string(to_string(kind))).text(4, utc_now_rfc3339());
  if (auto s = q.run(); !s) return std::unexpected(s.error());
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
}

Status StateStore::finish_attempt(std::int64_t id, PassOutcome outcome,
                                  const std::vector<std::string>& reasons) {
  nlohmann::json r = reasons;
  return Stmt(db_, "UPDATE attempts SET finished = ?, outcome = ?, reasons = ? WHERE id = ?")
      .text(1, utc_now_rfc3339())
      .text(2, std::string(to_string(outcome)))
      .text(3, r.dump())
      .integer(4, id)
      .run();
}

Result<std::vector<Attempt>> StateStore::attempts(const std::string& cluster, int limit,
                                                  std::optional<AttemptKind> kind) const {
  const std::string only = kind ? std::string(to_string(*kind)) : std::string();
  Stmt q(db_,
         "SELECT id, commit_id, kind, started, finished, outcome, reasons FROM attempts "
         "WHERE cluster = ? AND (? = '' OR kind = ?) ORDER BY id DESC LIMIT ?");
  q.text(1, cluster).text(2, only).text(3, only).integer(4, limit);
  std::vector<Attempt> out;
  for (;;) {
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    Attempt a;
    a.id = q.col_int(0);
    a.cluster = cluster;
    a.commit = q.col(1);
    auto attempt_kind = parse_attempt_kind(q.col(2));
    if (!attempt_kind)
      return std::unexpected(
          with_context(fmt::format("state store: attempt {}", a.id), attempt_kind.error()));
    a.kind = *attempt_kind;
    a.started = q.col(3);
    a.finished = q.col(4);
    if (std::string text = q.col(5); !text.empty()) {
      auto outcome = parse_pass_outcome(text);
      if (!outcome)
        return std::unexpected(with_context(fmt::format("state store: attempt {}", a.id), outcome.error()));
      a.outcome = *outcome;
    }
    a.reasons = parse_reasons(q.col(6));
    out.push_back(std::move(a));
  }
  return out;
}

Status StateStore::mark_bad(const std::string& cluster, const std::string& commit,
                            const std::string& reason) {
  return Stmt(db_,
              "INSERT OR REPLACE INTO bad_commits(cluster, commit_id, marked, reason) VALUES (?, ?, ?, ?)")
      .text(1, cluster)
      .text(2, commit)
      .text(3, utc_now_rfc3339())
      .text(4, reason)
      .run();
}

Status StateStore::clear_bad(const std::string& cluster, const std::string& commit) {
  return Stmt(db_, "DELETE FROM bad_commits WHERE cluster = ? AND commit_id = ?")
      .text(1, cluster)
      .text(2, commit)
      .run();
}

Result<bool> StateStore::is_bad(const std::string& cluster, const std::string& commit) const {
  Stmt q(db_, "SELECT 1 FROM bad_commits WHERE cluster = ? AND commit_id = ?");
  q.text(1, cluster).text(2, commit);
  return q.step();
}

Result<std::vector<std::string>> StateStore::bad_commits(const std::string& cluster) const {
  Stmt q(db_, "SELECT commit_id FROM bad_commits WHERE cluster = ? ORDER BY marked, commit_id");
  q.text(1, cluster);
  return first_column(q);
}

Result<std::vector<std::string>> StateStore::cluster_ids() const {
  Stmt q(db_, "SELECT cluster FROM clusters ORDER BY cluster");
  return first_column(q);
}

}  // namespace lucid::reconcile
