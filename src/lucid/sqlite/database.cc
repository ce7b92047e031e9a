#include "lucid/sqlite/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "lucid/base/files.h"

namespace lucid::sqlite {

Statement::Statement(sqlite3* db, std::string_view sql, const std::string* context)
    : db_(db), context_(context) {
  rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), rc_(other.rc_), context_(other.context_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    rc_ = other.rc_;
    context_ = other.context_;
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (rc_ == SQLITE_OK)
    rc_ = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  if (rc_ == SQLITE_OK)
    rc_ = sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_null(stmt_, index);
  return *this;
}

Error Statement::error() const {
  return Error(ErrorKind::kIo, fmt::format("{}: {}", context_ != nullptr ? *context_ : std::string("sqlite"),
                                           sqlite3_errmsg(db_)));
}

Result<bool> Statement::step() {
  if (rc_ != SQLITE_OK) return std::unexpected(error());
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(error());
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  rc_ = stmt_ != nullptr ? SQLITE_OK : rc_;
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p),
                                    static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                      : std::string();
}

std::vector<std::uint8_t> Statement::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
  return p != nullptr ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>{};
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

bool Statement::is_integer(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_INTEGER;
}

int Statement::column_count() const {
  return sqlite3_column_count(stmt_);
}

namespace {

// Creates `path` 0600 when absent and takes group and other access away when present.
Status make_private(const std::filesystem::path& path, bool create) {
  if (create) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return fail(ErrorKind::kIo, fmt::format("{}: {}", path.string(), errno_text(errno)));
    ::close(fd);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail(ErrorKind::kIo, fmt::format("{}: {}", path.string(), errno_text(errno)));
  }
  if ((st.st_mode & 077) != 0 && ::chmod(path.c_str(), st.st_mode & 0700) != 0)
    return fail(ErrorKind::kIo,
                fmt::format("{}: cannot make it private to its owner: {}", path.string(), errno_text(errno)));
  return {};
}

}  // namespace

Database::Database(sqlite3* db, std::string context)
    : db_(db), context_(std::make_unique<std::string>(std::move(context))) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), context_(std::move(other.context_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
    context_ = std::move(other.context_);
  }
  return *this;
}

Database::~Database() {
  sqlite3_close(db_);
}

Result<Database> Database::open(const std::filesystem::path& file, const Options& options,
                                std::string_view schema) {
  return open(file, options, [schema](const Database& db) { return db.exec(schema); });
}

Result<Database> Database::open(const std::filesystem::path& file, const Options& options,
                                const SchemaStep& schema) {
  const std::string context = fmt::format("{} {}", options.what, file.string());
  if (options.private_file) {
    if (auto made = make_private(file, true); !made)
      return fail(ErrorKind::kIo, fmt::format("cannot open the {}: {}", options.what, made.error().message));
    for (const char* suffix : {"-wal", "-shm"})
      if (auto made = make_private(file.string() + suffix, false); !made)
        return fail(ErrorKind::kIo,
                    fmt::format("cannot open the {}: {}", options.what, made.error().message));
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(ErrorKind::kIo, fmt::format("{}: cannot open: {}", context, message));
  }
  Database database(db, context);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  // SQLite answers BUSY at once, without the busy timeout, where waiting could deadlock: a
  // journal-mode change, a read lock that would have to be upgraded. Those steps are retried.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  const auto again = [&](bool busy) {
    if (!busy || std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return true;
  };
  Status wal;
  do {
    wal = database.exec("PRAGMA journal_mode=WAL");
  } while (!wal && again(database.busy()));
  if (!wal) return std::unexpected(wal.error());
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"})
    if (auto s = database.exec(pragma); !s) return std::unexpected(s.error());
  Status schema_written;
  bool busy = false;
  do {
    schema_written = database.transaction([&] { return schema(database); }, busy);
  } while (!schema_written && again(busy));
  if (!schema_written) return std::unexpected(schema_written.error());
  return database;
}

Status Database::exec(std::string_view sql) const {
  const std::string text(sql);  // sqlite3_exec wants a terminated string
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return fail(ErrorKind::kIo, fmt::format("{}: {}", *context_, what));
  }
  return {};
}

Statement Database::prepare(std::string_view sql) const {
  return Statement(db_, sql, context_.get());
}

Status Database::transaction(const std::function<Status()>& body) const {
  bool busy = false;
  return transaction(body, busy);
}

Status Database::transaction(const std::function<Status()>& body, bool& busy) const {
  Status outcome = exec("BEGIN IMMEDIATE");
  if (!outcome) {
    busy = this->busy();
    return outcome;
  }
  outcome = body();
  if (outcome) outcome = exec("COMMIT");
  if (!outcome) {
    // Only SQLite's own refusals are retried, not a body's verdict on what it read.
    busy = outcome.error().kind == ErrorKind::kIo && this->busy();
    (void)exec("ROLLBACK");
  }
  return outcome;
}

bool Database::busy() const {
  const int code = sqlite3_errcode(db_) & 0xff;
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

Result<std::int64_t> Database::user_version() const {
  auto query = prepare("PRAGMA user_version");
  auto row = query.step();
  if (!row) return std::unexpected(row.error());
  return *row ? query.integer(0) : 0;
}

Status Database::set_user_version(std::int64_t version) const {
  return exec(fmt::format("PRAGMA user_version = {}", version));
}

}  // namespace lucid::sqlite
