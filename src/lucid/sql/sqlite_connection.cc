// The SQLite engine of lucid::sql, on lucid::sqlite.
#include <utility>

#include <fmt/format.h>

#include "lucid/sql/connection.h"
#include "lucid/sqlite/database.h"

namespace lucid::sql {
namespace {

// "$N" → "?N" outside quoted text and comments: SQLite reads "$1" as a parameter *named* "$1",
// numbered by first appearance, while "?1" is position 1 as in PostgreSQL.
std::string positional_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  bool comment = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (comment) {
      comment = c != '\n';
    } else if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: the same text
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      comment = true;
    } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '?';
      continue;
    }
    out += c;
  }
  return out;
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite::Database db, std::string description)
      : db_(std::move(db)), description_(std::move(description)) {}

  Engine engine() const override { return Engine::kSqlite; }
  const std::string& describe() const override { return description_; }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) override {
    auto statement = prepare(sql, params);
    std::vector<Row> rows;
    for (;;) {
      auto more = statement.step();
      if (!more) return std::unexpected(more.error());
      if (!*more) return rows;
      Row row;
      const int columns = statement.column_count();
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (statement.is_null(c))
          row.emplace_back(std::monostate{});
        else if (statement.is_integer(c))
          row.emplace_back(statement.integer(c));
        else
          row.emplace_back(statement.text(c));
      }
      rows.push_back(std::move(row));
    }
  }

  Result<std::int64_t> execute(std::string_view sql, std::span<const Value> params) override {
    auto statement = prepare(sql, params);
    if (auto ran = statement.run(); !ran) return std::unexpected(ran.error());
    return db_.changes();
  }

  Status execute_script(std::string_view sql) override { return db_.exec(sql); }

  Status transaction(const std::function<Status()>& body) override { return db_.transaction(body); }

 private:
  sqlite::Statement prepare(std::string_view sql, std::span<const Value> params) const {
    auto statement = db_.prepare(positional_placeholders(sql));
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>)
              statement.bind_null(index);
            else
              statement.bind(index, v);
          },
          params[i]);
    }
    return statement;
  }

  sqlite::Database db_;
  std::string description_;
};

}  // namespace

Result<std::unique_ptr<Connection>> open_sqlite(const std::filesystem::path& file, std::string_view what) {
  sqlite::Database::Options options;
  options.what = std::string(what);
  auto db = sqlite::Database::open(file, options, [](const sqlite::Database&) { return Status{}; });
  if (!db) return std::unexpected(db.error());
  return std::make_unique<SqliteConnection>(std::move(*db), fmt::format("{} {}", what, file.string()));
}

}  // namespace lucid::sql
