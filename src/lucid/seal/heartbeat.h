// The worker's heartbeat file (DIR/health.json), written atomically by `lucid-node-worker run` every
// heartbeat and read by `lucid-node-worker health`, which passes only while it is fresh and running.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "lucid/base/result.h"

namespace lucid::seal {

struct Heartbeat {
  long pid = 0;
  std::string state = "running";  // "running", or "stopped" once the worker has exited cleanly
  std::string started_at;         // RFC 3339 UTC
  std::uint64_t sealed = 0;       // recordings sealed since start
  std::uint64_t failed = 0;       // recordings moved to failed/ since start
  std::string sealing;            // the recording being sealed now, or empty
  std::chrono::milliseconds interval{5000};
};

// Writes `file` atomically, stamped with the current time ("time" RFC 3339, "unix_ms").
Status write_heartbeat(const std::filesystem::path& file, const Heartbeat& heartbeat);

// A one-line summary when `file` says "running" and is at most `max_age` old (default: 3 × the
// interval it records); otherwise an error whose message says why (absent, unreadable, stale, stopped).
Result<std::string> check_heartbeat(const std::filesystem::path& file,
                                    std::optional<std::chrono::milliseconds> max_age);

}  // namespace lucid::seal
