// The container labels the engine module reads and writes: Compose's project/service labels and
// Lucid's per-service config hash (docs/formats.md "Render plan and config hashes").
#pragma once

#include <string>

#include "lucid/base/labels.h"

namespace lucid::engine {

// The names themselves are in base/labels.h, with every other label Lucid uses.
inline constexpr const char* kProjectLabel = kComposeProjectLabel;
inline constexpr const char* kServiceLabel = kComposeServiceLabel;
using lucid::kConfigHashLabel;

// "lucid-<cluster>": the Compose project of a cluster.
inline std::string project_name(const std::string& cluster) {
  return "lucid-" + cluster;
}

}  // namespace lucid::engine
