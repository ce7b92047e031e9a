// sessions_store_bench: sessions-manifests' store (lucid::sessions::ManifestStore) on SQLite and on
// PostgreSQL with N sessions (issue 15 item 5: index query p50/p95 with 1 million sessions, goal p95
// < 20 ms for a filtered, paginated list).
//
// Per engine: fills N sessions over N/1000 nodes and a year of start times (90% final, 5% sent, 5%
// queued; multi-row INSERTs in transactions, not timed as ingest), then times the store's own calls:
// the lists sessions-index serves (a node over 30 days, its next page by cursor, the newest sessions,
// the queued ones, one session by id) and admit() of new sessions one commit each, beside the disk's
// own fsync rate measured in the same run (a commit cannot be faster than one fsync). PostgreSQL is a
// real server started here (tests/testing/postgres_server.h), with fsync on.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lucid/sessions/manifest_store.h"
#include "lucid/sql/connection.h"
#include "testing/postgres_server.h"
#include "testing/testing.h"

namespace {

using lucid::sessions::AnchorState;
using lucid::sessions::ManifestStore;
using lucid::sessions::NewSession;
using lucid::sessions::SessionFilter;
using lucid::sql::Value;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kYearStartMs = 1'767'225'600'000;  // 2026-01-01
constexpr std::int64_t kDayMs = 86'400'000;

std::string session_id(std::int64_t n) {
  return fmt::format("{:08x}-0000-4000-8000-{:012x}", static_cast<std::uint32_t>(n * 2654435761U), n);
}

std::string node_key(std::int64_t node) {
  return fmt::format("{:064x}", node * 0x9e3779b97f4a7c15ULL);
}

struct Figures {
  std::string name;
  std::vector<double> ms;
  double percentile(double p) const {
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return sorted.empty() ? 0 : sorted[i];
  }
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "sessions_store_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(lucid::Result<T> r, const char* what) {
  if (!r) die(fmt::format("{}: {}", what, r.error().message));
  return std::move(*r);
}

void must(const lucid::Status& s, const char* what) {
  if (!s) die(fmt::format("{}: {}", what, s.error().message));
}

// N sessions in multi-row INSERTs of 200, 10 000 rows a transaction.
void fill(lucid::sql::Connection& db, std::int64_t sessions, std::int64_t nodes, std::mt19937_64& rng) {
  constexpr int kRowsPerInsert = 200;
  constexpr int kColumns = 13;
  std::uniform_int_distribution<std::int64_t> when(0, 365 * kDayMs - 1);
  std::uniform_int_distribution<std::int64_t> which_node(0, nodes - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  const auto start = Clock::now();
  std::int64_t n = 0;
  while (n < sessions) {
    must(db.transaction([&]() -> lucid::Status {
      for (int batch = 0; batch < 10'000 / kRowsPerInsert && n < sessions; ++batch) {
        std::string sql =
            "INSERT INTO manifest_sessions (session_id, node_key, manifest_hash, merkle_root, chunk_count, "
            "started_at_ms, received_at_ms, manifest, state, tx_sender, tx_nonce, tx_hash, final_height) "
            "VALUES ";
        std::vector<Value> params;
        for (int row = 0; row < kRowsPerInsert && n < sessions; ++row, ++n) {
          const std::int64_t started = kYearStartMs + when(rng);
          const int p = percent(rng);
          const char* state = p < 90 ? "final" : p < 95 ? "sent" : "queued";
          const bool has_tx = p < 95;
          if (row > 0) sql += ", ";
          const std::size_t base = params.size();
          sql += "(";
          for (int c = 1; c <= kColumns; ++c) sql += fmt::format("{}${}", c > 1 ? ", " : "", base + c);
          sql += ")";
          params.insert(
              params.end(),
              {session_id(n), node_key(which_node(rng)), fmt::format("{:064x}", n),
               fmt::format("{:064x}", n + 1), std::int64_t{n % 64 + 1}, started, started + 60'000,
               fmt::format(R"({{"session_id":"{}"}})", session_id(n)), std::string(state),
               has_tx ? Value(std::string("0xsender")) : Value(), has_tx ? Value(n) : Value(),
               has_tx ? Value(fmt::format("0x{:064x}", n)) : Value(), p < 90 ? Value(n / 10) : Value()});
        }
        if (auto done = db.execute(sql, params); !done) return std::unexpected(done.error());
      }
      return {};
    }),
         "fill");
    if (n % 100'000 == 0 || n == sessions)
      std::fprintf(stderr, "  %s: %lld of %lld sessions stored (%.0f s)\n",
                   std::string(lucid::sql::engine_name(db.engine())).c_str(), static_cast<long long>(n),
                   static_cast<long long>(sessions),
                   std::chrono::duration<double>(Clock::now() - start).count());
  }
  if (db.engine() == lucid::sql::Engine::kPostgres)
    must(db.execute_script("ANALYZE manifest_sessions"), "analyze");
  else
    must(db.execute_script("ANALYZE"), "analyze");
}

template <typename F>
double time_ms(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Writes and fdatasyncs 4 KiB `count` times in `dir`: the disk's commit ceiling.
double fsyncs_per_second(const std::filesystem::path& dir, int count) {
  const auto file = dir / "fsync-probe";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("cannot create the fsync probe");
  std::vector<char> block(4096, 'x');
  const auto t0 = Clock::now();
  for (int i = 0; i < count; ++i) {
    if (::pwrite(fd, block.data(), block.size(), 0) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0)
      die("fsync probe write failed");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  ::close(fd);
  return count / seconds;
}

nlohmann::json run(const std::string& store, std::int64_t sessions, int queries, int admits,
                   const std::filesystem::path& scratch) {
  auto raw = must(lucid::sql::open(store, "bench store"), "open");
  const std::string engine(lucid::sql::engine_name(raw->engine()));
  auto manifest_store = must(ManifestStore::on(std::move(raw)), "schema");
  auto filler = must(lucid::sql::open(store, "bench store"), "open");
  const std::int64_t nodes = std::max<std::int64_t>(1, sessions / 1000);
  std::mt19937_64 rng(20261204);
  const auto fill_start = Clock::now();
  fill(*filler, sessions, nodes, rng);
  const double fill_seconds = std::chrono::duration<double>(Clock::now() - fill_start).count();

  std::uniform_int_distribution<std::int64_t> which_node(0, nodes - 1);
  std::uniform_int_distribution<std::int64_t> day(0, 334);
  std::uniform_int_distribution<std::int64_t> which_session(0, sessions - 1);
  Figures node_window{"node, 30 days, first page of 100", {}};
  Figures next_page{"node, 30 days, next page by cursor", {}};
  Figures newest{"newest 100 before a day", {}};
  Figures queued{"state queued, first page of 100", {}};
  Figures by_id{"one session by id", {}};
  std::size_t rows_seen = 0;
  for (int q = 0; q < queries; ++q) {
    SessionFilter filter;
    filter.node_key = node_key(which_node(rng));
    filter.started_from_ms = kYearStartMs + day(rng) * kDayMs;
    filter.started_before_ms = *filter.started_from_ms + 30 * kDayMs;
    filter.limit = 100;
    lucid::sessions::SessionPage page;
    node_window.ms.push_back(time_ms([&] { page = must(manifest_store->list(filter), "list"); }));
    rows_seen += page.sessions.size();
    // A node has ~1000 sessions a year, ~80 in 30 days: ask for pages of 20 to have a next page.
    filter.limit = 20;
    page = must(manifest_store->list(filter), "list");
    filter.cursor = page.next_cursor;
    if (!filter.cursor.empty())
      next_page.ms.push_back(
          time_ms([&] { rows_seen += must(manifest_store->list(filter), "list").sessions.size(); }));
    SessionFilter all;
    all.limit = 100;
    if (q % 2 == 0) {
      all.started_before_ms = kYearStartMs + day(rng) * kDayMs;
      newest.ms.push_back(
          time_ms([&] { rows_seen += must(manifest_store->list(all), "list").sessions.size(); }));
    } else {
      all.state = AnchorState::kQueued;
      queued.ms.push_back(
          time_ms([&] { rows_seen += must(manifest_store->list(all), "list").sessions.size(); }));
    }
    by_id.ms.push_back(time_ms([&] {
      rows_seen += must(manifest_store->find(session_id(which_session(rng))), "find").has_value() ? 1 : 0;
    }));
  }

  // admit(): one commit per new session, as sessions-manifests stores a submit before answering it;
  // the disk's own rate just before, on the same file system.
  const double disk_fsyncs = fsyncs_per_second(scratch, 1000);
  const auto admit_start = Clock::now();
  for (int i = 0; i < admits; ++i) {
    NewSession s;
    s.session_id = session_id(sessions + i);
    s.node_key = node_key(i % nodes);
    s.manifest_hash = fmt::format("{:064x}", sessions + i);
    s.merkle_root = s.manifest_hash;
    s.chunk_count = 8;
    s.started_at_ms = kYearStartMs + 366 * kDayMs + i;
    s.received_at_ms = s.started_at_ms + 60'000;
    s.manifest_json = R"({"bench":true})";
    if (must(manifest_store->admit(s), "admit") != lucid::sessions::Admission::kStored)
      die("admit: not stored");
  }
  const double admits_per_second = admits / std::chrono::duration<double>(Clock::now() - admit_start).count();

  nlohmann::json out{{"engine", engine},
                     {"sessions", sessions},
                     {"nodes", nodes},
                     {"fill_seconds", fill_seconds},
                     {"rows_returned", rows_seen},
                     {"admits_per_second", admits_per_second},
                     {"disk_fsyncs_per_second", disk_fsyncs},
                     {"admit_to_fsync_ratio", admits_per_second / disk_fsyncs}};
  for (const Figures* f : {&node_window, &next_page, &newest, &queued, &by_id})
    out["queries"].push_back({{"query", f->name},
                              {"count", f->ms.size()},
                              {"p50_ms", f->percentile(0.50)},
                              {"p95_ms", f->percentile(0.95)},
                              {"p99_ms", f->percentile(0.99)}});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sessions_store_bench — sessions-manifests' store with N sessions on SQLite and PostgreSQL"};
  std::int64_t sessions = 1'000'000;
  int queries = 1000;
  int admits = 1000;
  std::string engines = "both";
  bool json = false;
  app.add_option("--sessions", sessions, "sessions stored before timing")
      ->check(CLI::Range(1000, 20'000'000));
  app.add_option("--queries", queries, "timed rounds of the list and find calls")
      ->check(CLI::Range(10, 100'000));
  app.add_option("--admits", admits, "new sessions admitted one commit each")->check(CLI::Range(10, 100'000));
  app.add_option("--engine", engines, "sqlite, postgresql or both")
      ->check(CLI::IsMember({"sqlite", "postgresql", "both"}));
  app.add_flag("--json", json, "print the figures as one JSON document");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  lucid::testing::ScratchDir dir;
  nlohmann::json results = nlohmann::json::array();
  if (engines != "postgresql")
    results.push_back(
        run(fmt::format("sqlite:{}", (dir / "sessions.db").string()), sessions, queries, admits, dir.path()));
  if (engines != "sqlite") {
    if (!lucid::testing::PostgresServer::available()) die(lucid::testing::PostgresServer::skip_reason());
    lucid::testing::PostgresServer server;
    server.set_durable(true);
    must(server.start(), "PostgreSQL");
    auto conninfo = must(server.create_database("bench"), "create database");
    results.push_back(run("postgresql:" + conninfo, sessions, queries, admits, dir.path()));
  }
  if (json) {
    std::printf("%s\n", results.dump(2).c_str());
    return 0;
  }
  for (const auto& r : results) {
    std::printf("%s, %lld sessions over %lld nodes (filled in %.0f s)\n",
                r["engine"].get<std::string>().c_str(),
                static_cast<long long>(r["sessions"].get<std::int64_t>()),
                static_cast<long long>(r["nodes"].get<std::int64_t>()), r["fill_seconds"].get<double>());
    for (const auto& q : r["queries"])
      std::printf("  %-38s p50 %7.3f ms  p95 %7.3f ms  p99 %7.3f ms  (%zu)\n",
                  q["query"].get<std::string>().c_str(), q["p50_ms"].get<double>(), q["p95_ms"].get<double>(),
                  q["p99_ms"].get<double>(), q["count"].get<std::size_t>());
    std::printf("  admit, one commit each: %.0f/s; the disk's fsyncs: %.0f/s (ratio %.2f)\n",
                r["admits_per_second"].get<double>(), r["disk_fsyncs_per_second"].get<double>(),
                r["admit_to_fsync_ratio"].get<double>());
  }
  return 0;
}
