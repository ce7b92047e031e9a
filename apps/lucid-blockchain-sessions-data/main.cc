// lucid-blockchain-sessions-data: the anchor indexer of the on-system data chain (issue 14,
// docs/chain.md "blockchain-sessions-data"). Thin: flags and environment into the indexer and its API,
// then serve until SIGTERM/SIGINT. Also answers the image's healthcheck and `lucidctl accept`'s
// `status --json`.
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lucid/base/env.h"
#include "lucid/base/http_client.h"
#include "lucid/base/number.h"
#include "lucid/base/process_hardening.h"
#include "lucid/base/shutdown_signals.h"
#include "lucid/base/text.h"
#include "lucid/chain_index/indexer.h"
#include "lucid/chain_index/session_store.h"
#include "lucid/chain_index/sessions_api.h"

namespace {

constexpr const char* kProgram = "lucid-blockchain-sessions-data";

using lucid::env_or;

int fail_with(const std::string& message) {
  fmt::print(stderr, "{}: {}\n", kProgram, message);
  return 2;
}

// The URL of `path` on this container's own API: the first CHAIN_LISTEN address, on loopback when it
// listens on every address (the healthcheck and `status` run beside `serve`, with its environment).
std::string own_url(const std::string& listen, const std::string& path) {
  const std::vector<std::string> addresses = lucid::split_comma_list(listen);
  std::string first = addresses.empty() ? "0.0.0.0:8080" : addresses.front();
  if (first.starts_with("0.0.0.0:")) first = "127.0.0.1" + first.substr(7);
  return fmt::format("http://{}{}", first, path);
}

// GETs `url`: the answer's status and body, or the failure printed (then nullopt).
std::optional<lucid::HttpResponse> get(const std::string& url) {
  lucid::HttpOptions options;
  options.timeout = std::chrono::seconds(3);
  options.max_body_bytes = std::size_t{64} * 1024;
  auto response = lucid::http_get(url, options);
  if (!response) {
    fmt::print(stderr, "{}: {}\n", kProgram, response.error().message);
    return std::nullopt;
  }
  return *response;
}

// The healthcheck: exit 0 on 200, 1 otherwise (the engine only tells 0 from non-zero).
int health(const std::string& url) {
  auto response = get(url);
  if (!response) return 1;
  fmt::print("{}", response->body);
  return response->status == 200 ? 0 : 1;
}

// Prints /v1/status (as JSON with --json, else one summary line); exit 0 when caught up, 1 otherwise.
int status(const std::string& url, bool as_json) {
  auto response = get(url);
  if (!response) return 1;
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status != 200 || !body.is_object()) {
    fmt::print(stderr, "{}: {}: HTTP {}: {}\n", kProgram, url, response->status, response->body);
    return 1;
  }
  const bool caught_up = body.value("caught_up", false);
  if (as_json) {
    fmt::print("{}\n", body.dump());
  } else {
    fmt::print(
        "{}: indexed to height {} of final height {} ({} blocks behind), {} sessions, {} chunk anchors, "
        "from {}\n",
        caught_up ? "caught up" : "NOT caught up", body.value("indexed_height", 0ULL),
        body.value("chain_final_height", 0ULL), body.value("lag_blocks", 0ULL), body.value("sessions", 0ULL),
        body.value("chunk_anchors", 0ULL), body.value("core", std::string()));
    if (!caught_up) fmt::print("reason: {}\n", body.value("reason", std::string()));
  }
  return caught_up ? 0 : 1;
}

int serve(const std::string& db_file, lucid::chain_index::IndexerOptions options,
          const lucid::chain_index::HealthLimits& limits, const std::vector<std::string>& listen) {
  const lucid::ShutdownSignals signals;  // before any thread starts

  auto store = lucid::chain_index::SessionStore::open(db_file);
  if (!store) return fail_with(fmt::format("--db: {}", store.error().message));
  const std::vector<std::string> cores = options.cores;
  auto indexer = lucid::chain_index::Indexer::start(**store, std::move(options));
  if (!indexer) return fail_with(indexer.error().message);
  lucid::chain_index::SessionsApi api(**store, **indexer, limits);
  auto server = lucid::http::Server::start(
      listen, [&api](const lucid::http::Request& request) { return api.handle(request); });
  if (!server) return fail_with(fmt::format("--listen: {}", server.error().message));
  const auto first = (*indexer)->status();
  fmt::print(stderr, "{}: indexing from height {} of chain {:?} (core {}), serving on {}\n", kProgram,
             first.indexed_height + 1, first.chain_id.empty() ? "not yet known" : first.chain_id,
             fmt::join(cores, ", "), fmt::join(listen, ", "));
  const int sig = signals.wait();
  fmt::print(stderr, "{}: signal {}: stopping\n", kProgram, sig);
  (*server)->stop();
  (*indexer)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (auto hardened = lucid::harden_process(); !hardened) return fail_with(hardened.error().message);
  CLI::App app{"lucid-blockchain-sessions-data — the data chain's anchor indexer (docs/chain.md)"};
  app.require_subcommand(1);

  const std::string listen_env = env_or("CHAIN_LISTEN", "0.0.0.0:8080");
  auto* serve_cmd = app.add_subcommand(
      "serve", "index AnchorRegistry's events up to blockchain-core's final height and serve them");
  std::string cores = env_or("CHAIN_CORE", "");
  std::string db_file = env_or("SESSIONS_DATA_DB", "/var/lib/lucid/sessions-data.db");
  std::string listen = listen_env;
  lucid::chain_index::HealthLimits limits;
  std::uint64_t max_lag_blocks = limits.max_lag_blocks;
  if (const std::string lag = env_or("SESSIONS_DATA_MAX_LAG_BLOCKS", ""); !lag.empty()) {
    auto parsed = lucid::parse_number<std::uint64_t>(lag, "SESSIONS_DATA_MAX_LAG_BLOCKS");
    if (!parsed) return fail_with(parsed.error().message);
    max_lag_blocks = *parsed;
  }
  int max_poll_age_s = static_cast<int>(limits.max_poll_age.count());
  int poll_interval_ms = 1000;
  serve_cmd->add_option("--core", cores,
                        "comma-separated base URLs of blockchain-core validators, failed over in turn "
                        "(env CHAIN_CORE)");
  serve_cmd->add_option("--db", db_file, "the SQLite store (env SESSIONS_DATA_DB)");
  serve_cmd->add_option("--listen", listen, "comma-separated ip:port of the API (env CHAIN_LISTEN)");
  serve_cmd->add_option("--poll-interval-ms", poll_interval_ms, "how often core is polled once caught up")
      ->check(CLI::Range(50, 60000));
  serve_cmd
      ->add_option("--max-lag-blocks", max_lag_blocks,
                   "healthy while at most this many final blocks are not indexed (env "
                   "SESSIONS_DATA_MAX_LAG_BLOCKS)")
      ->check(CLI::Range(0, 1000000));
  serve_cmd
      ->add_option("--max-poll-age-s", max_poll_age_s,
                   "healthy while the last successful poll is this recent")
      ->check(CLI::Range(1, 3600));

  auto* health_cmd =
      app.add_subcommand("health", "exit 0 when the indexer's /health answers 200 (the image's healthcheck)");
  std::string health_url = own_url(listen_env, "/health");
  health_cmd->add_option("--url", health_url, "the health endpoint");

  auto* status_cmd = app.add_subcommand(
      "status",
      "print the indexer's /v1/status; exit 0 when caught up, 1 otherwise (what `lucidctl accept` runs)");
  std::string status_url = own_url(listen_env, "/v1/status");
  bool as_json = false;
  status_cmd->add_option("--url", status_url, "the status endpoint");
  status_cmd->add_flag("--json", as_json, "print the status document as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*health_cmd) return health(health_url);
  if (*status_cmd) return status(status_url, as_json);
  lucid::chain_index::IndexerOptions options;
  options.cores = lucid::split_comma_list(cores);
  if (options.cores.empty())
    return fail_with(
        "--core (or CHAIN_CORE) is required: blockchain-core's base URLs, e.g. "
        "http://blockchain-core:7100");
  options.poll_interval = std::chrono::milliseconds(poll_interval_ms);
  limits.max_lag_blocks = max_lag_blocks;
  limits.max_poll_age = std::chrono::seconds(max_poll_age_s);
  return serve(db_file, std::move(options), limits, lucid::split_comma_list(listen));
}
