// `lucid-node-worker run`: seals each recording that lands in the spool's inbox (one at a time, all
// cores each), keeps DIR/health.json fresh, and reports every event as one JSON object.
#pragma once

#include <chrono>
#include <functional>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/seal/seal_session.h"
#include "lucid/seal/spool.h"

namespace lucid::seal {

struct ServiceOptions {
  Spool spool;
  std::chrono::milliseconds heartbeat{5000};
  SealOptions seal;
};

// Receives "started", "sealed", "failed", "heartbeat-failed" and "stopped" events. Called from the
// worker's threads one at a time, never concurrently.
using EventSink = std::function<void(const nlohmann::json&)>;

// Runs until `stop_fd` becomes readable; a recording being sealed is finished first. Returns an error
// only when the worker cannot start (spool not writable, another worker on it, bad node key) or can
// no longer watch its inbox; a recording that fails to seal is moved to failed/ and reported.
Status run_service(const ServiceOptions& options, int stop_fd, const EventSink& emit);

}  // namespace lucid::seal
