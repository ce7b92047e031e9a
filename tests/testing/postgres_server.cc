#include "testing/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/sql/connection.h"

namespace lucid::testing {
namespace fs = std::filesystem;
namespace {

// The newest installed server's bin directory ("" when none).
fs::path server_bin_dir() {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(entry.path() / "bin" / "postgres") && fs::exists(entry.path() / "bin" / "initdb"))
      found.push_back(entry.path() / "bin");
  std::sort(found.begin(), found.end());
  return found.empty() ? fs::path() : found.back();
}

// Running as root: the `postgres` user to run as (PostgreSQL refuses root); otherwise no one.
Result<std::optional<RunAs>> server_user() {
  if (::geteuid() != 0) return std::optional<RunAs>();
  const struct passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr)
    return fail(ErrorKind::kNotFound,
                "running as root and there is no `postgres` user to run PostgreSQL as (apt-get install "
                "postgresql-15 creates it)");
  return std::optional<RunAs>(RunAs{pw->pw_uid, pw->pw_gid});
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

bool PostgresServer::available() {
  return !server_bin_dir().empty();
}

std::string PostgresServer::skip_reason() {
  return "PostgreSQL's server is not installed (/usr/lib/postgresql/*/bin/postgres; Debian's postgresql-15: "
         "apt-get install postgresql-15; scripts/bootstrap does)";
}

Status PostgresServer::start(std::chrono::milliseconds timeout) {
  if (dir_) return fail(ErrorKind::kInvalidArgument, "the PostgreSQL server was already started");
  const fs::path bin = server_bin_dir();
  if (bin.empty()) return fail(ErrorKind::kNotFound, skip_reason());
  auto user = server_user();
  if (!user) return std::unexpected(user.error());
  dir_ = std::make_unique<ScratchDir>();
  home_ = dir_->path() / "pg";
  std::error_code ec;
  fs::create_directory(home_, ec);
  if (ec) return fail(ErrorKind::kIo, fmt::format("{}: {}", home_.string(), ec.message()));
  if (*user) {
    // The server's user must reach its home through the scratch directory, and own the home.
    if (::chmod(dir_->path().c_str(), 0711) != 0 || ::chown(home_.c_str(), (*user)->uid, (*user)->gid) != 0)
      return fail(ErrorKind::kIo,
                  fmt::format("cannot hand {} to the postgres user: {}", home_.string(), errno_text(errno)));
  }
  auto initdb =
      spawn_server({(bin / "initdb").string(), "-D", (home_ / "data").string(), "-U", "lucid", "--auth=trust",
                    "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                   home_ / "initdb.log", *user);
  if (!initdb) return std::unexpected(initdb.error());
  if (const int status = wait_for(*initdb); !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(ErrorKind::kIo, fmt::format("initdb {}:\n{}", describe_wait_status(status),
                                            file_tail(home_ / "initdb.log", 1 << 16)));
  }
  if (auto launched = launch(); !launched) return launched;
  if (auto ready = wait_ready(timeout); !ready) {
    stop();
    return ready;
  }
  return {};
}

Status PostgresServer::launch() {
  auto user = server_user();
  if (!user) return std::unexpected(user.error());
  std::vector<std::string> args{(server_bin_dir() / "postgres").string(),
                                "-D",
                                (home_ / "data").string(),
                                "-k",
                                home_.string(),
                                "-h",
                                "",
                                "-c",
                                "max_connections=60"};
  if (!durable_) args.insert(args.end(), {"-c", "fsync=off", "-c", "full_page_writes=off"});
  auto pid = spawn_server(args, home_ / "server.log", *user);
  if (!pid) return std::unexpected(pid.error());
  pid_ = *pid;
  return {};
}

Status PostgresServer::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (pid_ <= 0) return fail(ErrorKind::kInvalidArgument, "the PostgreSQL server is not running");
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return fail(ErrorKind::kIo, fmt::format("the PostgreSQL server {}; its log ends:\n{}",
                                              describe_wait_status(status), log_tail()));
    }
    auto connected = sql::open_postgres(conninfo(), "test server");
    if (connected) return {};
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(ErrorKind::kIo,
                  fmt::format("the PostgreSQL server did not accept connections within {} ms ({}); "
                              "its log ends:\n{}",
                              timeout.count(), connected.error().message, log_tail()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void PostgresServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      wait_for(pid_);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
}

Status PostgresServer::restart(std::chrono::milliseconds timeout) {
  if (!dir_) return fail(ErrorKind::kInvalidArgument, "the PostgreSQL server was never started");
  if (pid_ > 0) return fail(ErrorKind::kInvalidArgument, "the PostgreSQL server is still running");
  if (auto launched = launch(); !launched) return launched;
  return wait_ready(timeout);
}

std::string PostgresServer::conninfo(std::string_view database) const {
  return fmt::format("host={} dbname={} user=lucid connect_timeout=5", home_.string(), database);
}

Result<std::string> PostgresServer::create_database(std::string_view name) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      }))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("database name \"{}\": lower-case letters, digits, _", name));
  auto admin = sql::open_postgres(conninfo(), "test server");
  if (!admin) return std::unexpected(admin.error());
  if (auto made = (*admin)->execute_script(fmt::format("CREATE DATABASE {}", name)); !made)
    return std::unexpected(made.error());
  return conninfo(name);
}

std::string PostgresServer::log_tail(std::size_t bytes) const {
  return file_tail(home_ / "server.log", bytes);
}

PostgresServer::~PostgresServer() {
  stop();
}

}  // namespace lucid::testing
