// Fresh, empty stores on each lucid::sql engine, for suites that run the same cases on SQLite and on
// PostgreSQL. The PostgreSQL server is one per test process, started on first use (a real server:
// testing/postgres_server.h); each store is a new database on it.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "lucid/base/result.h"
#include "lucid/sql/connection.h"
#include "testing/postgres_server.h"
#include "testing/testing.h"

namespace lucid::sql {
// GoogleTest prints a parameterized case's engine by name.
inline void PrintTo(Engine engine, std::ostream* out) {
  *out << engine_name(engine);
}
}  // namespace lucid::sql

namespace lucid::testing {

// Why the engine cannot run here, printed by the suite's skip; nullopt when it can.
std::optional<std::string> engine_unavailable(sql::Engine engine);

// A store string for lucid::sql::open naming a new empty database: a file in `dir` for SQLite, a new
// database on the shared server for PostgreSQL.
Result<std::string> fresh_store(sql::Engine engine, const ScratchDir& dir);

// The shared server (started when needed); nullptr with the reason in `why` when it cannot start.
PostgresServer* shared_postgres(std::string* why = nullptr);

}  // namespace lucid::testing
