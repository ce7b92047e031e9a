// The console service (issue 11): the config repo's clone, the history of site reports and the
// poller, a background loop that keeps the fleet view current, and the HTTP face over them — the web
// page, the JSON API under /api/v1, server-sent events, and the operator's actions (token-guarded)
// that run the same rollout functions as `lucidctl wave`. docs/console.md describes the API.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "lucid/base/http_server.h"
#include "lucid/base/result.h"
#include "lucid/console/history_store.h"
#include "lucid/console/poller.h"
#include "lucid/rollout/config_repo.h"
#include "lucid/rollout/fleet_definition.h"
#include "lucid/rollout/waves.h"

namespace lucid::console {

struct ConsoleOptions {
  std::string repo_url;       // the config repo (what `lucidctl reconcile --repo` takes)
  std::filesystem::path dir;  // the console's own: <dir>/repo.git, <dir>/history.db
  std::string listen = "127.0.0.1:8480";
  std::string token;                               // the operator token; "" → every action is refused (403)
  PollOptions poll;                                // sites' /status: interval, back-off, SOCKS proxy
  std::chrono::milliseconds fetch_interval{5000};  // how often the config repo is fetched
  std::chrono::milliseconds tick{1000};            // how often due sites are polled
  rollout::Signing signing;                        // for pause tags and rollback commits
  std::chrono::seconds keep_history = std::chrono::hours(24);
  std::string registry;  // the mirror's URL for image verdicts in the commit view ("": none)
  int max_streams = 32;  // concurrent /api/v1/events clients
};

// Reads the operator token from `file`: the first line, trimmed. Refuses a file that others than its
// owner may read, and an empty or short (< 16 characters) token.
Result<std::string> read_token_file(const std::filesystem::path& file);

class ConsoleService {
 public:
  // Opens (cloning when absent) the repo and the history, starts listening and the loop. The first
  // fleet view is computed before it returns (sites not yet polled show as stale).
  static Result<std::unique_ptr<ConsoleService>> start(ConsoleOptions options);
  ~ConsoleService();
  ConsoleService(const ConsoleService&) = delete;
  ConsoleService& operator=(const ConsoleService&) = delete;

  std::uint16_t port() const { return server_->port(0); }
  std::string url() const;  // http://<listen ip>:<port>/
  // Stops the loop, ends event streams and in-flight requests.
  void stop();

  // One HTTP request, as the server hands it (exposed for tests).
  http::Response handle(const http::Request& request);

 private:
  explicit ConsoleService(ConsoleOptions options, rollout::ConfigRepo repo, HistoryStore store);
  void loop();
  // Fetch (when due), poll due sites, recompute the view when anything changed; publish.
  void step(std::int64_t now_ms, bool force_fetch);
  void refresh_view(std::int64_t now);
  rollout::History history_fn(std::int64_t now) const;
  void request_refresh();

  http::Response route_get(const http::Request& req, const std::string& path, const std::string& query);
  http::Response route_action(const http::Request& req, const std::string& wave, const std::string& action);
  http::Response fleet();
  std::shared_ptr<const std::string> fleet_json() const;  // the published fleet (null before the first)
  http::Response wave(const std::string& name);
  http::Response cluster(const std::string& id);
  http::Response commit(const std::string& sha, const std::string& query);
  http::Response commit_on_cluster(const std::string& sha, const std::string& cluster);
  http::Response events();
  http::Response asset(const http::Request& req, const std::string& path);
  bool host_allowed(const http::Request& req) const;
  bool authorized(const http::Request& req) const;

  ConsoleOptions options_;
  rollout::ConfigRepo repo_;
  HistoryStore store_;
  Poller poller_;
  std::unique_ptr<http::Server> server_;
  std::thread loop_;

  // Writes to the repo (fetch, actions, automatic pauses) one at a time.
  std::mutex repo_mu_;
  std::mutex refresh_mu_;             // one recomputation at a time (the loop, or an action's handler)
  std::int64_t last_view_ms_ = 0;     // the loop's last recomputation
  std::set<std::string> paused_for_;  // pause_after_failures' memory (wave@commit)

  // The published state: guarded by state_mu_, waited on by event streams.
  mutable std::mutex state_mu_;
  std::condition_variable_any changed_;
  std::optional<rollout::FleetDefinition> definition_;
  std::optional<rollout::FleetView> view_;
  std::shared_ptr<const std::string> fleet_json_;  // what /api/v1/fleet and the `fleet` event carry
  std::string fingerprint_;  // fleet_json_ without the clock-driven values: a change is published
  std::uint64_t version_ = 0;
  std::string fetch_error_, view_error_, pause_error_;
  std::int64_t fetched_at_ = 0;
  bool refresh_requested_ = false;
  bool stopping_ = false;
};

}  // namespace lucid::console
