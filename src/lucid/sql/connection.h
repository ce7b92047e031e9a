// One SQL connection behind one interface, for the stores that must run both embedded (SQLite, the
// default; through lucid::sqlite) and on a shared server that several replicas use at once
// (PostgreSQL, Debian's postgresql-15, through libpq). A store written against Connection uses the
// SQL both engines accept: BIGINT and TEXT columns, $1..$N placeholders, INSERT ... ON CONFLICT DO
// NOTHING, row-value comparisons, LIMIT. Values are 64-bit integers, text or NULL; nothing else
// crosses the interface, so a store's result does not depend on which engine holds its data.
//
// A Connection serves one thread at a time; a store shares one between threads behind its own mutex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::sql {

using Value = std::variant<std::monostate, std::int64_t, std::string>;  // NULL, integer, text
using Row = std::vector<Value>;

enum class Engine { kSqlite, kPostgres };
std::string_view engine_name(Engine engine);  // "SQLite", "PostgreSQL"

class Connection {
 public:
  virtual ~Connection() = default;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual Engine engine() const = 0;
  // How messages name the store and where it is ("session store /var/lib/x/sessions.db",
  // "session store PostgreSQL db sessions on /run/postgresql"); never a password.
  virtual const std::string& describe() const = 0;

  // One statement with $1..$N bound to `params` in order; returns its rows. Integer columns come back
  // as integers, every other non-NULL value as text.
  virtual Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params = {}) = 0;
  // One statement that returns no rows; the number of rows it inserted, updated or deleted (0 for an
  // INSERT ... ON CONFLICT DO NOTHING that found its row).
  virtual Result<std::int64_t> execute(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Statements without parameters, separated by semicolons (a schema).
  virtual Status execute_script(std::string_view sql) = 0;
  // BEGIN, `body`, COMMIT; ROLLBACK when the body or the commit fails, so nothing of it stays. On
  // SQLite the transaction takes the write lock at BEGIN; on PostgreSQL it runs at READ COMMITTED, so
  // a body that reads and then writes guards the write with its own condition or a unique key.
  virtual Status transaction(const std::function<Status()>& body) = 0;
};

// Opens (creating) an SQLite database file with lucid::sqlite's defaults (WAL, synchronous=FULL, a
// file private to its owner). `what` names the store in messages.
Result<std::unique_ptr<Connection>> open_sqlite(const std::filesystem::path& file, std::string_view what);

// Connects to PostgreSQL with a libpq connection string ("host=/run/postgresql dbname=sessions" or
// "postgresql://user@host/db"). A password belongs in the PGPASSFILE or the service's secrets, not in
// a command line; either way messages name the database, host and port only. When the server goes
// away the failing call returns kIo and the next call connects again.
Result<std::unique_ptr<Connection>> open_postgres(const std::string& conninfo, std::string_view what);

// What a service's --store flag names: "sqlite:PATH" (or a bare path) opens SQLite;
// "postgresql://..." / "postgres://..." or "postgresql:" followed by a libpq key=value string
// connects to PostgreSQL.
Result<std::unique_ptr<Connection>> open(std::string_view store, std::string_view what);

// Brings a store's schema to the latest of its `steps` (step i takes version i to i+1): the steps
// still missing and the new version in one transaction, recorded in the table lucid_schema under the store's
// `name`. Refuses (kCorrupt) a database whose version is newer than this program knows. On PostgreSQL,
// replicas starting at once take turns on an advisory lock.
Status migrate(Connection& db, std::string_view name, std::span<const std::string_view> steps);

// The integer in column `i` of `row` (0 for NULL); kCorrupt naming the column when it holds text.
Result<std::int64_t> integer_at(const Row& row, std::size_t i, std::string_view column);
// The text in column `i` ("" for NULL); kCorrupt when it holds an integer.
Result<std::string> text_at(const Row& row, std::size_t i, std::string_view column);

}  // namespace lucid::sql
