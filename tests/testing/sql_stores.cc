#include "testing/sql_stores.h"

#include <atomic>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <unistd.h>

namespace lucid::testing {

PostgresServer* shared_postgres(std::string* why) {
  static std::mutex mu;
  static std::unique_ptr<PostgresServer> server;
  static std::string failure;
  std::lock_guard lock(mu);
  if (!server && failure.empty()) {
    if (!PostgresServer::available()) {
      failure = PostgresServer::skip_reason();
    } else {
      auto started = std::make_unique<PostgresServer>();
      if (auto ok = started->start(); ok)
        server = std::move(started);
      else
        failure = ok.error().message;
    }
  }
  if (why != nullptr) *why = failure;
  return server.get();
}

std::optional<std::string> engine_unavailable(sql::Engine engine) {
  if (engine == sql::Engine::kSqlite) return std::nullopt;
  if (!PostgresServer::available()) return PostgresServer::skip_reason();
  return std::nullopt;  // installed: a server that then fails to start is a failure, not a skip
}

Result<std::string> fresh_store(sql::Engine engine, const ScratchDir& dir) {
  static std::atomic<int> counter{0};
  const int n = counter++;
  if (engine == sql::Engine::kSqlite)
    return fmt::format("sqlite:{}", (dir / fmt::format("store{}.db", n)).string());
  std::string why;
  PostgresServer* server = shared_postgres(&why);
  if (server == nullptr) return fail(ErrorKind::kIo, fmt::format("the test PostgreSQL server: {}", why));
  auto conninfo = server->create_database(fmt::format("t{}_{}", ::getpid(), n));
  if (!conninfo) return std::unexpected(conninfo.error());
  return fmt::format("postgresql:{}", *conninfo);
}

}  // namespace lucid::testing
