// What blockchain-virtual-machine counts for /v1/status, /metrics and /health: per contract and
// function (names from the contracts' fixed ABIs, "other" for anything else, so labels stay bounded)
// the view calls served and reverted, the estimates and the gas they would use, and the transactions
// the chain executed with their gas; and the latency of the most recent executions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "lucid/base/prometheus.h"
#include "lucid/base/thread_annotations.h"

namespace lucid::chain {

// The label of a name that is not one of the contracts' own (an unknown contract or selector).
inline constexpr std::string_view kOtherLabel = "other";

struct FunctionUsage {
  std::uint64_t calls = 0;      // view calls answered (including those that reverted)
  std::uint64_t reverts = 0;    // view calls that reverted
  std::uint64_t estimates = 0;  // transactions estimated
  std::uint64_t estimate_reverts = 0;
  std::uint64_t estimated_gas = 0;  // the gas those estimates would use
  std::uint64_t transactions = 0;   // transactions the chain executed (seen by the observer)
  std::uint64_t gas_used = 0;       // their gas
};

struct LatencySummary {
  std::size_t samples = 0;  // in the window (at most kLatencyWindow)
  double p50_ms = 0;
  double p95_ms = 0;
  std::uint64_t count = 0;  // every execution measured since start
  double sum_seconds = 0;
};

class VmUsage {
 public:
  // Latency percentiles are over this many most recent executions (calls, estimates, probes).
  static constexpr std::size_t kLatencyWindow = 256;

  // `contract` and `function` must be names from the contracts' ABIs or kOtherLabel.
  void record_call(const std::string& contract, const std::string& function, bool reverted,
                   std::chrono::nanoseconds took) EXCLUDES(mu_);
  void record_estimate(const std::string& contract, const std::string& function, bool reverted,
                       std::uint64_t gas, std::chrono::nanoseconds took) EXCLUDES(mu_);
  void record_probe(std::chrono::nanoseconds took) EXCLUDES(mu_);
  void record_executed(const std::string& contract, const std::string& function, std::uint64_t gas)
      EXCLUDES(mu_);

  LatencySummary latency() const EXCLUDES(mu_);
  // {"calls", "reverts", "estimates", "estimate_reverts", "transactions", "gas_used", "latency_ms":
  // {"p50", "p95", "samples", "window"}, "contracts": {name: {"gas_used", "transactions", "functions":
  // {name: FunctionUsage's members}}}}
  nlohmann::json to_json() const EXCLUDES(mu_);
  // The lucid_chain_vm_* families: per contract/function counters and the latency summary.
  void write_metrics(PrometheusWriter& out) const EXCLUDES(mu_);

 private:
  void record_latency(std::chrono::nanoseconds took) REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::pair<std::string, std::string>, FunctionUsage> functions_ GUARDED_BY(mu_);
  std::array<double, kLatencyWindow> window_seconds_ GUARDED_BY(mu_){};  // a ring
  std::uint64_t latency_count_ GUARDED_BY(mu_) = 0;
  double latency_sum_seconds_ GUARDED_BY(mu_) = 0;
};

}  // namespace lucid::chain
