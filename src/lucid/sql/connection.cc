#include "lucid/sql/connection.h"

#include <array>

#include <fmt/format.h>

namespace lucid::sql {

std::string_view engine_name(Engine engine) {
  return engine == Engine::kSqlite ? "SQLite" : "PostgreSQL";
}

Result<std::unique_ptr<Connection>> open(std::string_view store, std::string_view what) {
  if (store.starts_with("postgresql://") || store.starts_with("postgres://"))
    return open_postgres(std::string(store), what);
  if (store.starts_with("postgresql:")) return open_postgres(std::string(store.substr(11)), what);
  if (store.starts_with("sqlite:")) store.remove_prefix(7);
  if (store.empty())
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("the {} is not named: give sqlite:PATH or a postgresql:// URL", what));
  return open_sqlite(std::filesystem::path(store), what);
}

Status migrate(Connection& db, std::string_view name, std::span<const std::string_view> steps) {
  // Any fixed key: every lucid store's migration takes this one lock ("lucid" in ASCII).
  constexpr std::int64_t kMigrationLock = 0x6c75636964;
  return db.transaction([&]() -> Status {
    if (db.engine() == Engine::kPostgres) {
      const std::array<Value, 1> key{kMigrationLock};
      if (auto locked = db.query("SELECT pg_advisory_xact_lock($1)", key); !locked)
        return std::unexpected(locked.error());
    }
    if (auto made = db.execute_script(
            "CREATE TABLE IF NOT EXISTS lucid_schema (name TEXT PRIMARY KEY, version BIGINT NOT NULL)");
        !made)
      return made;
    const std::array<Value, 1> store{std::string(name)};
    auto rows = db.query("SELECT version FROM lucid_schema WHERE name = $1", store);
    if (!rows) return std::unexpected(rows.error());
    std::int64_t version = 0;
    if (!rows->empty()) {
      auto v = integer_at(rows->front(), 0, "lucid_schema.version");
      if (!v) return std::unexpected(with_context(db.describe(), v.error()));
      version = *v;
    }
    const auto latest = static_cast<std::int64_t>(steps.size());
    if (version > latest || version < 0)
      return fail(
          ErrorKind::kCorrupt,
          fmt::format("{}: its {} schema is version {}, this program knows versions up to {}: run the "
                      "program that wrote it (or a newer one), or restore a backup this version made",
                      db.describe(), name, version, latest));
    if (version == latest) return {};
    for (auto step = static_cast<std::size_t>(version); step < steps.size(); ++step)
      if (auto applied = db.execute_script(steps[step]); !applied)
        return std::unexpected(
            with_context(fmt::format("{} schema step {}", name, step + 1), applied.error()));
    const std::array<Value, 2> record{std::string(name), latest};
    auto recorded = db.execute(
        "INSERT INTO lucid_schema (name, version) VALUES ($1, $2) "
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
        record);
    if (!recorded) return std::unexpected(recorded.error());
    return {};
  });
}

Result<std::int64_t> integer_at(const Row& row, std::size_t i, std::string_view column) {
  if (i >= row.size())
    return fail(ErrorKind::kInternal,
                fmt::format("column {} ({}) is past the row's {}", i, column, row.size()));
  if (const auto* n = std::get_if<std::int64_t>(&row[i])) return *n;
  if (std::holds_alternative<std::monostate>(row[i])) return 0;
  return fail(ErrorKind::kCorrupt, fmt::format("column {} holds text where an integer belongs", column));
}

Result<std::string> text_at(const Row& row, std::size_t i, std::string_view column) {
  if (i >= row.size())
    return fail(ErrorKind::kInternal,
                fmt::format("column {} ({}) is past the row's {}", i, column, row.size()));
  if (const auto* s = std::get_if<std::string>(&row[i])) return *s;
  if (std::holds_alternative<std::monostate>(row[i])) return std::string();
  return fail(ErrorKind::kCorrupt, fmt::format("column {} holds an integer where text belongs", column));
}

}  // namespace lucid::sql
