// Collects the sites' /status: each cluster's `status:` URL polled on an interval, with back-off
// while it fails (doubling up to a bound), through the SOCKS5 proxy when one is set (onion
// addresses: TOR_SOCKS, names resolved by the proxy). Every poll becomes an observation in the
// history store; a failure is recorded too, so a silent site shows as such.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lucid/console/history_store.h"
#include "lucid/rollout/fleet_definition.h"
#include "lucid/rollout/observation.h"

namespace lucid::console {

struct PollOptions {
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::milliseconds timeout{3000};  // per request
  std::string socks_proxy;                  // "host:port", or "" for direct (loopback tests)
  std::size_t max_body = 4u << 20;          // a status larger than this is a failure
};

// One poll of one URL.
rollout::Observation poll_site(const std::string& cluster, const std::string& url, const PollOptions& options,
                               std::int64_t now);

class Poller {
 public:
  Poller(HistoryStore& store, PollOptions options) : store_(store), options_(std::move(options)) {}
  // Polls every cluster of `fleet` with a status URL whose turn has come (now ≥ its next time), in
  // parallel (bounded); records each observation and returns them. `now` in Unix milliseconds.
  std::vector<rollout::Observation> poll_due(const rollout::FleetDefinition& fleet, std::int64_t now_ms);
  // Polls every cluster now, whatever its back-off.
  std::vector<rollout::Observation> poll_all(const rollout::FleetDefinition& fleet, std::int64_t now_ms);

 private:
  struct Schedule {
    std::int64_t next_ms = 0;
    std::chrono::milliseconds backoff{0};
  };
  std::vector<rollout::Observation> poll(const std::vector<const rollout::ClusterDefinition*>& due,
                                         std::int64_t now_ms);
  HistoryStore& store_;
  PollOptions options_;
  std::map<std::string, Schedule> schedule_;
};

}  // namespace lucid::console
