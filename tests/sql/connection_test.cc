// lucid::sql: each case runs on SQLite and on PostgreSQL and expects the same answers.
#include "lucid/sql/connection.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>

#include "testing/sql_stores.h"
#include "testing/testing.h"

namespace lucid::sql {
namespace {

using testing::ScratchDir;

class ConnectionTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (auto why = testing::engine_unavailable(GetParam())) GTEST_SKIP() << *why;
    auto store = testing::fresh_store(GetParam(), dir_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = *store;
    auto db = open(store_, "test store");
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_EQ(db_->engine(), GetParam());
  }

  ScratchDir dir_;
  std::string store_;
  std::unique_ptr<Connection> db_;
};

TEST_P(ConnectionTest, IntegersTextAndNullComeBackAsStored) {
  ASSERT_TRUE(db_->execute_script("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT, s TEXT)"));
  const std::string text = "it's \"quoted\", $1 and ?1, ünïcödé";
  const std::array<Value, 3> first{std::int64_t{1}, std::numeric_limits<std::int64_t>::min(), text};
  const std::array<Value, 3> second{std::int64_t{2}, std::monostate{}, std::monostate{}};
  ASSERT_EQ(db_->execute("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", first).value(), 1);
  ASSERT_EQ(db_->execute("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", second).value(), 1);
  auto rows = db_->query("SELECT n, s FROM t ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ((*rows)[0], (Row{std::numeric_limits<std::int64_t>::min(), text}));
  EXPECT_EQ((*rows)[1], (Row{std::monostate{}, std::monostate{}}));
}

TEST_P(ConnectionTest, PlaceholdersArePositionalAndQuotedTextIsLeftAlone) {
  // $2 before $1, $1 twice, and "$1" inside a literal and a comment: SQLite must not number them by
  // first appearance nor rewrite the literal.
  const std::array<Value, 2> params{std::int64_t{7}, std::string("x")};
  auto rows = db_->query(
      "SELECT CAST($2 AS TEXT), '$1 ''$2''', CAST($1 AS BIGINT) + CAST($1 AS BIGINT) -- $3\n", params);
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front(), (Row{std::string("x"), std::string("$1 '$2'"), std::int64_t{14}}));
}

TEST_P(ConnectionTest, ExecuteCountsTheRowsItChanged) {
  ASSERT_TRUE(db_->execute_script("CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)"));
  for (std::int64_t i = 1; i <= 3; ++i) {
    const std::array<Value, 2> row{i, std::string(i == 3 ? "c" : "ab")};
    ASSERT_EQ(db_->execute("INSERT INTO t (id, v) VALUES ($1, $2)", row).value(), 1);
  }
  const std::array<Value, 1> again{std::int64_t{2}};
  EXPECT_EQ(db_->execute("INSERT INTO t (id, v) VALUES ($1, 'z') ON CONFLICT (id) DO NOTHING", again).value(),
            0);
  const std::array<Value, 1> ab{std::string("ab")};
  EXPECT_EQ(db_->execute("UPDATE t SET v = 'y' WHERE v = $1", ab).value(), 2);
  EXPECT_EQ(db_->execute("DELETE FROM t").value(), 3);
}

TEST_P(ConnectionTest, AFailedTransactionLeavesNothing) {
  ASSERT_TRUE(db_->execute_script("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  auto refused = db_->transaction([&]() -> Status {
    if (auto r = db_->execute("INSERT INTO t (id) VALUES (1)"); !r) return std::unexpected(r.error());
    return fail(ErrorKind::kInvalidArgument, "the body changed its mind");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "the body changed its mind");
  // A statement that fails inside the body rolls back what came before it too.
  auto broken = db_->transaction([&]() -> Status {
    if (auto r = db_->execute("INSERT INTO t (id) VALUES (2)"); !r) return std::unexpected(r.error());
    if (auto r = db_->execute("INSERT INTO t (id) VALUES (2)"); !r) return std::unexpected(r.error());
    return {};
  });
  ASSERT_FALSE(broken);
  EXPECT_EQ(db_->query("SELECT id FROM t").value().size(), 0U);
  ASSERT_TRUE(db_->transaction([&]() -> Status {
    if (auto r = db_->execute("INSERT INTO t (id) VALUES (3)"); !r) return std::unexpected(r.error());
    return {};
  }));
  EXPECT_EQ(db_->query("SELECT id FROM t").value(), (std::vector<Row>{Row{std::int64_t{3}}}));
}

TEST_P(ConnectionTest, MigrateRunsEachStepOnceAndRefusesANewerSchema) {
  // Neither step can run twice: a repeat would fail on the existing table or column.
  const std::array<std::string_view, 2> steps{"CREATE TABLE m (id BIGINT PRIMARY KEY)",
                                              "ALTER TABLE m ADD COLUMN note TEXT"};
  ASSERT_TRUE(migrate(*db_, "test.store", std::span(steps).first(1)));
  ASSERT_TRUE(migrate(*db_, "test.store", std::span(steps).first(1)));
  auto both = migrate(*db_, "test.store", steps);
  ASSERT_TRUE(both) << both.error().message;
  ASSERT_TRUE(migrate(*db_, "test.store", steps));
  EXPECT_TRUE(db_->execute("INSERT INTO m (id, note) VALUES (1, 'n')"));
  EXPECT_TRUE(migrate(*db_, "other.store", {}));  // versions are kept per store
  auto older = migrate(*db_, "test.store", std::span(steps).first(1));
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(older.error().message.find("test.store schema is version 2, this program knows versions up to 1"),
            std::string::npos)
      << older.error().message;
  EXPECT_NE(older.error().message.find(db_->describe()), std::string::npos) << older.error().message;
}

TEST_P(ConnectionTest, ErrorsNameTheStore) {
  auto bad = db_->query("SELECT no_such_column FROM no_such_table");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kIo);
  EXPECT_TRUE(bad.error().message.starts_with(db_->describe())) << bad.error().message;
  EXPECT_NE(bad.error().message.find("no_such_table"), std::string::npos) << bad.error().message;
}

INSTANTIATE_TEST_SUITE_P(Engines, ConnectionTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& engine) { return std::string(engine_name(engine.param)); });

TEST(SqlOpen, AnEmptyStoreNameIsRefused) {
  for (const char* store : {"", "sqlite:"}) {
    auto db = open(store, "session store");
    ASSERT_FALSE(db) << store;
    EXPECT_EQ(db.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(db.error().message.find("give sqlite:PATH or a postgresql:// URL"), std::string::npos);
  }
}

class PostgresConnection : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::engine_unavailable(Engine::kPostgres)) GTEST_SKIP() << *why;
    std::string why;
    server_ = testing::shared_postgres(&why);
    ASSERT_NE(server_, nullptr) << why;
  }
  testing::PostgresServer* server_ = nullptr;
};

TEST_F(PostgresConnection, APasswordNeverReachesAMessage) {
  const std::string password = "pw-9f2c1d-never-printed";
  for (const std::string& conninfo :
       {server_->conninfo("no_such_database") + " password=" + password,
        fmt::format("host=/nonexistent/dir dbname=x user=lucid password={} connect_timeout=2", password),
        fmt::format("postgresql://lucid:{}@/no_such_database?host={}", password,
                    server_->conninfo().substr(5, server_->conninfo().find(' ') - 5))}) {
    auto db = open_postgres(conninfo, "session store");
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().message.find(password), std::string::npos) << db.error().message;
    EXPECT_NE(db.error().message.find("cannot connect"), std::string::npos) << db.error().message;
  }
  auto named = open_postgres(server_->conninfo("no_such_database"), "session store");
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message.find("session store PostgreSQL database no_such_database on /"),
            std::string::npos)
      << named.error().message;
}

TEST_F(PostgresConnection, TheCallAfterARestartConnectsAgain) {
  auto db = open_postgres(server_->conninfo(), "test store");
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE((*db)->query("SELECT 1"));
  server_->stop();
  auto down = (*db)->query("SELECT 1");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, ErrorKind::kIo);
  auto still_down = (*db)->query("SELECT 1");
  ASSERT_FALSE(still_down);
  EXPECT_NE(still_down.error().message.find("cannot connect again"), std::string::npos)
      << still_down.error().message;
  ASSERT_TRUE(server_->restart()) << server_->log_tail();
  auto back = (*db)->query("SELECT CAST(41 AS BIGINT) + 1");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->front(), (Row{std::int64_t{42}}));
}

}  // namespace
}  // namespace lucid::sql
