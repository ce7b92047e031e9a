// Fresh, empty stores on each lucid::sql engine, for suites that run the same cases on SQLite and on
// PostgreSQL. The PostgreSQL server is one per test process, started on first use (a real server:
// testing/postgres_server.h); each store is a new database on it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
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

// A suite whose cases run on each engine (the parameter): `store_` is a `Store` opened by
// Store::open on a fresh database named `store_name_`; skipped with the reason where the engine
// cannot run.
template <typename Store>
class SqlStoreTest : public ::testing::TestWithParam<sql::Engine> {
 protected:
  void SetUp() override {
    if (auto why = engine_unavailable(GetParam())) GTEST_SKIP() << *why;
    auto name = fresh_store(GetParam(), dir_);
    ASSERT_TRUE(name) << name.error().message;
    store_name_ = *name;
    auto opened = Store::open(store_name_);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }

  ScratchDir dir_;
  std::string store_name_;
  std::unique_ptr<Store> store_;
};

}  // namespace lucid::testing
