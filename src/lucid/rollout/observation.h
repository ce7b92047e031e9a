// What the console knows of one site at one moment: the site reconciler's /status object as it was
// polled (docs/console.md "Site status"), or why it could not be read. Gates judge these; the
// console's history store keeps them.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace lucid::rollout {

// The console keeps one observation per unchanged stretch: polls that find the same state extend it,
// so `first_seen` is when this state was first polled and `polled_at` when it was last.
struct Observation {
  std::string cluster;
  std::int64_t polled_at = 0;   // Unix seconds, the console's clock: the newest poll that saw this
  bool reachable = false;       // the site answered with a status object
  std::string error;            // why not, when not reachable
  nlohmann::json status;        // the site's /status object (null when not reachable)
  std::int64_t first_seen = 0;  // the first poll that saw it (0: the same as polled_at)
};

}  // namespace lucid::rollout
