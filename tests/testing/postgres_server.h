// A real PostgreSQL server for tests: Debian's postgresql-15 (initdb and postgres from
// /usr/lib/postgresql/<version>/bin), a new cluster in a scratch directory, reached only over a Unix
// socket in that directory (no TCP listener), stopped and reaped by the destructor. As root it runs as
// the `postgres` user, since PostgreSQL refuses root.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "testing/testing.h"

namespace lucid::testing {

class PostgresServer {
 public:
  PostgresServer() = default;
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Whether the server's programs are installed; when not, suites GTEST_SKIP with skip_reason().
  static bool available();
  static std::string skip_reason();

  // Whether the server syncs its writes to disk: off by default (test data need not survive a power
  // cut); a benchmark that compares commit rates turns it on before start().
  void set_durable(bool durable) { durable_ = durable; }

  // initdb (superuser "lucid", trust on the socket only), then the server, waiting until it accepts
  // connections. On failure (kIo, with the log's tail) nothing is left running.
  Status start(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Fast shutdown (SIGINT: connections are cut, the data stays), reaped before this returns.
  void stop();
  // The server again on the same data, waiting until it accepts connections.
  Status restart(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running() const { return pid_ > 0; }

  // A libpq connection string for `database` as "lucid".
  std::string conninfo(std::string_view database = "postgres") const;
  // CREATE DATABASE `name` (lower-case letters, digits, underscores); its conninfo.
  Result<std::string> create_database(std::string_view name);

  std::string log_tail(std::size_t bytes = 3000) const;

 private:
  Status launch();
  Status wait_ready(std::chrono::milliseconds timeout);

  std::unique_ptr<ScratchDir> dir_;
  std::filesystem::path home_;  // owned by the server's user: data, socket and log
  pid_t pid_ = -1;
  bool durable_ = false;
};

}  // namespace lucid::testing
