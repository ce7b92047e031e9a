// The container labels the engine module reads and writes: Compose's project/service labels and
// Lucid's per-service config hash (docs/formats.md "Render plan and config hashes").
#pragma once

#include <string>

namespace lucid::engine {

inline constexpr const char* kProjectLabel = "com.docker.compose.project";
inline constexpr const char* kServiceLabel = "com.docker.compose.service";
inline constexpr const char* kConfigHashLabel = "com.lucid.config-hash";

// "lucid-<cluster>": the Compose project of a cluster.
inline std::string project_name(const std::string& cluster) {
  return "lucid-" + cluster;
}

}  // namespace lucid::engine
