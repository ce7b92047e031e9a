// A small RAII layer over SQLite (Debian's libsqlite3) for the stores that keep their state in one
// database file: open with the project's defaults (WAL, full synchronous writes, a busy timeout,
// a file private to its owner), prepared statements with positional binding, and transactions that
// roll back unless their body succeeds. Errors name the store and its file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace lucid::sqlite {

// One prepared statement, finalized with the object. Binds by position (1-based); a failed bind or
// prepare is reported by the next step().
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);
  Statement& bind_null(int index);

  // true: a row is ready to read; false: done.
  Result<bool> step();
  // Steps to the end (for statements that return no rows).
  Status run();
  // Clears bindings and rewinds, to run the statement again.
  void reset();

  std::int64_t integer(int column) const;
  std::string text(int column) const;
  std::vector<std::uint8_t> blob(int column) const;
  bool is_null(int column) const;
  bool is_integer(int column) const;  // SQLite's storage class of the value, not the declared type
  int column_count() const;

 private:
  friend class Database;
  Statement(sqlite3* db, std::string_view sql, const std::string* context);
  Error error() const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = 0;
  const std::string* context_ = nullptr;  // the database's "<what> <file>", for messages
};

class Database {
 public:
  struct Options {
    std::string what = "database";  // how messages name it: "archive", "session index", ...
    bool private_file = true;       // created 0600 (with its -wal and -shm), tightened when looser
    int busy_timeout_ms = 10000;
  };

  // Opens (creating) `file` in WAL mode with synchronous=FULL, then runs `schema` (idempotent SQL,
  // e.g. CREATE TABLE IF NOT EXISTS) in one write transaction. Two processes opening one new file at
  // once take turns: the steps SQLite answers BUSY without waiting are retried for the busy timeout.
  static Result<Database> open(const std::filesystem::path& file, const Options& options,
                               std::string_view schema);
  // The same with the schema step as code, run inside that transaction: a store that versions its
  // schema reads user_version() there, refusing a file of a newer program or migrating an older one
  // before it creates anything. Its error is returned as it is.
  using SchemaStep = std::function<Status(const Database&)>;
  static Result<Database> open(const std::filesystem::path& file, const Options& options,
                               const SchemaStep& schema);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows.
  Status exec(std::string_view sql) const;
  Statement prepare(std::string_view sql) const;
  // BEGIN IMMEDIATE, `body`, COMMIT; ROLLBACK when the body or the commit fails (nothing of it stays).
  Status transaction(const std::function<Status()>& body) const;

  // The rows the last INSERT, UPDATE or DELETE on this connection changed (0 for an INSERT OR IGNORE
  // that found its row).
  std::int64_t changes() const;
  // The file's schema version, SQLite's PRAGMA user_version (0 in a new file); set it inside the
  // transaction that writes that schema.
  Result<std::int64_t> user_version() const;
  Status set_user_version(std::int64_t version) const;

 private:
  Database(sqlite3* db, std::string context);
  // transaction(), telling whether it failed because another connection held the lock.
  Status transaction(const std::function<Status()>& body, bool& busy) const;
  bool busy() const;  // the last call failed with SQLITE_BUSY or SQLITE_LOCKED
  sqlite3* db_ = nullptr;
  std::unique_ptr<std::string> context_;  // stable address for the statements' messages
};

}  // namespace lucid::sqlite
