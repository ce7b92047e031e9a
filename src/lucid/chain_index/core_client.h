// What blockchain-sessions-data asks one lucid-blockchain-core (docs/formats.md "Data chain: the API
// of lucid-blockchain-core"): its chain id and final height, the chain's genesis hash, and the
// AnchorRegistry events of a range of heights. Errors name the core's URL and the request.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/chain_index/anchor_event.h"

namespace lucid::chain_index {

struct CoreStatus {
  std::string chain_id;
  std::uint64_t final_height = 0;
};

class CoreClient {
 public:
  // `base_url` as "http://host:port" (a trailing "/" is dropped); `timeout` bounds each request.
  CoreClient(std::string base_url, std::chrono::milliseconds timeout);

  const std::string& base_url() const { return base_url_; }

  // GET /v1/status: its "chain_id" and "final_height".
  Result<CoreStatus> status() const;
  // The chain's genesis hash (hex): the "previous" of block 1, whose chain id must be `chain_id`. The
  // API serves no block 0, so this needs a chain with at least one block.
  Result<std::string> genesis_hash(const std::string& chain_id) const;
  // GET /v1/events?contract=AnchorRegistry&from=&to=: Anchored and ChunksAnchored in one answer, so
  // that the point where core truncates it holds for both.
  Result<EventsPage> anchor_events(std::uint64_t from, std::uint64_t to) const;

 private:
  // GETs `path` and parses a 200 answer as JSON of at most `max_bytes`.
  Result<nlohmann::json> get_json(const std::string& path, std::size_t max_bytes) const;

  std::string base_url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace lucid::chain_index
