// The PostgreSQL engine of lucid::sql, on libpq: parameters and results in text form, integer columns
// (int2, int4, int8) converted to integers.
#include <libpq-fe.h>

#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "lucid/sql/connection.h"

namespace lucid::sql {
namespace {

// The built-in integer types' OIDs (PostgreSQL's catalog/pg_type_d.h, stable across versions).
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages end in a newline and may run over several lines ("DETAIL: ...", "HINT: ...").
std::string one_line(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if (c == '\n') c = ' ';
  return text.empty() ? "no message from libpq" : text;
}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PGconn* conn, std::string description)
      : conn_(conn), description_(std::move(description)) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  Engine engine() const override { return Engine::kPostgres; }
  const std::string& describe() const override { return description_; }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) override {
    auto result = run(sql, params);
    if (!result) return std::unexpected(result.error());
    PGresult* r = result->get();
    const int rows = PQntuples(r);
    const int columns = PQnfields(r);
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      Row row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(r, i, c) != 0) {
          row.emplace_back(std::monostate{});
          continue;
        }
        const char* text = PQgetvalue(r, i, c);
        const int length = PQgetlength(r, i, c);
        const Oid type = PQftype(r, c);
        if (type == kInt8Oid || type == kInt4Oid || type == kInt2Oid) {
          std::int64_t value = 0;
          auto [end, ec] = std::from_chars(text, text + length, value);
          if (ec != std::errc() || end != text + length)
            return fail(ErrorKind::kCorrupt,
                        fmt::format("{}: column {} holds \"{}\", not an integer", description_, PQfname(r, c),
                                    std::string(text, length)));
          row.emplace_back(value);
        } else {
          row.emplace_back(std::string(text, static_cast<std::size_t>(length)));
        }
      }
      out.push_back(std::move(row));
    }
    return out;
  }

  Result<std::int64_t> execute(std::string_view sql, std::span<const Value> params) override {
    auto result = run(sql, params);
    if (!result) return std::unexpected(result.error());
    const std::string_view count = PQcmdTuples(result->get());  // "" for statements without a count
    std::int64_t changed = 0;
    std::from_chars(count.data(), count.data() + count.size(), changed);
    return changed;
  }

  Status execute_script(std::string_view sql) override {
    if (auto connected = connect_again_if_lost(); !connected) return connected;
    PgResult result(PQexec(conn_, std::string(sql).c_str()));
    return check(result.get());
  }

  Status transaction(const std::function<Status()>& body) override {
    if (auto begun = execute_script("BEGIN"); !begun) return begun;
    in_transaction_ = true;
    Status outcome = body();
    if (outcome) outcome = execute_script("COMMIT");
    if (!outcome) (void)execute_script("ROLLBACK");
    in_transaction_ = false;
    return outcome;
  }

 private:
  // A connection the server dropped (restart, failover, idle timeout) shows as bad after the call that
  // found out; that call failed, this one connects again. Never inside a transaction: its earlier
  // statements went with the old connection.
  Status connect_again_if_lost() {
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    if (in_transaction_)
      return fail(ErrorKind::kIo,
                  fmt::format("{}: the connection was lost inside a transaction", description_));
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
      return fail(ErrorKind::kIo,
                  fmt::format("{}: cannot connect again: {}", description_, one_line(PQerrorMessage(conn_))));
    return {};
  }

  Result<PgResult> run(std::string_view sql, std::span<const Value> params) {
    if (auto connected = connect_again_if_lost(); !connected) return std::unexpected(connected.error());
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        texts[i] = fmt::format("{}", *n);
        values[i] = texts[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        values[i] = s->c_str();
      }
    }
    PgResult result(PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0));
    if (auto ok = check(result.get()); !ok) return std::unexpected(ok.error());
    return result;
  }

  Status check(const PGresult* result) const {
    const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
    // The primary message and the SQLSTATE, without DETAIL: a detail can quote the row's values.
    const char* primary = result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    if (primary == nullptr)
      return fail(ErrorKind::kIo, fmt::format("{}: {}", description_, one_line(PQerrorMessage(conn_))));
    return fail(ErrorKind::kIo, fmt::format("{}: {} (SQLSTATE {})", description_, one_line(primary),
                                            state != nullptr ? state : "?"));
  }

  PGconn* conn_;
  std::string description_;
  bool in_transaction_ = false;
};

}  // namespace

Result<std::unique_ptr<Connection>> open_postgres(const std::string& conninfo, std::string_view what) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return fail(ErrorKind::kIo, fmt::format("{}: libpq is out of memory", what));
  // Named from what libpq parsed, never from the string itself: it may hold a password.
  const char* db = PQdb(conn);
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  std::string description = fmt::format(
      "{} PostgreSQL database {} on {}{}{}", what, db != nullptr && *db != '\0' ? db : "(default)",
      host != nullptr && *host != '\0' ? host : "(default host)", port != nullptr && *port != '\0' ? ":" : "",
      port != nullptr ? port : "");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = one_line(PQerrorMessage(conn));
    PQfinish(conn);
    return fail(ErrorKind::kIo, fmt::format("{}: cannot connect: {}", description, why));
  }
  // NOTICEs ("relation ... already exists, skipping") would go to stderr by default.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::make_unique<PostgresConnection>(conn, std::move(description));
}

}  // namespace lucid::sql
