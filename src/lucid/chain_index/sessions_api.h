// blockchain-sessions-data's HTTP API (docs/formats.md "Data chain: the API of
// lucid-blockchain-sessions-data"): a session by id, sessions by owner and height range in pages
// with a stable cursor, the indexer's status, health (caught up or not, and why) and metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/http_server.h"
#include "lucid/chain_index/indexer.h"
#include "lucid/chain_index/session_store.h"

namespace lucid::chain_index {

// When the indexer counts as caught up: its last successful poll is at most `max_poll_age` old and
// it is at most `max_lag_blocks` behind core's final height.
struct HealthLimits {
  std::chrono::seconds max_poll_age{30};
  std::uint64_t max_lag_blocks = 10;
};

struct CatchUp {
  bool caught_up = false;
  std::string reason;  // one line, either way
};

CatchUp judge_catch_up(const IndexerStatus& status, const HealthLimits& limits,
                       std::chrono::steady_clock::time_point now);

inline constexpr std::size_t kDefaultPageSize = 100;
inline constexpr std::size_t kMaxPageSize = 1000;

nlohmann::json session_to_json(const StoredSession& session);
nlohmann::json status_to_json(const IndexerStatus& status, const HealthLimits& limits,
                              std::chrono::steady_clock::time_point now);

class SessionsApi {
 public:
  SessionsApi(const SessionStore& store, const Indexer& indexer, HealthLimits limits)
      : store_(store), indexer_(indexer), limits_(limits) {}
  http::Response handle(const http::Request& request) const;

 private:
  http::Response session(const std::string& id_text) const;
  http::Response sessions(const http::Request& request) const;
  http::Response status() const;
  http::Response health() const;
  http::Response metrics() const;

  const SessionStore& store_;
  const Indexer& indexer_;
  HealthLimits limits_;
};

}  // namespace lucid::chain_index
