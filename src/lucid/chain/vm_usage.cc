#include "lucid/chain/vm_usage.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lucid::chain {
namespace {

using nlohmann::json;

// The nearest-rank percentile `p` (0..1) of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

json usage_json(const FunctionUsage& usage) {
  return json{{"calls", usage.calls},
              {"reverts", usage.reverts},
              {"estimates", usage.estimates},
              {"estimate_reverts", usage.estimate_reverts},
              {"estimated_gas", usage.estimated_gas},
              {"transactions", usage.transactions},
              {"gas_used", usage.gas_used}};
}

}  // namespace

void VmUsage::record_call(const std::string& contract, const std::string& function, bool reverted,
                          std::chrono::nanoseconds took) {
  MutexLock lock(mu_);
  FunctionUsage& usage = functions_[{contract, function}];
  ++usage.calls;
  if (reverted) ++usage.reverts;
  record_latency(took);
}

void VmUsage::record_estimate(const std::string& contract, const std::string& function, bool reverted,
                              std::uint64_t gas, std::chrono::nanoseconds took) {
  MutexLock lock(mu_);
  FunctionUsage& usage = functions_[{contract, function}];
  ++usage.estimates;
  if (reverted) ++usage.estimate_reverts;
  usage.estimated_gas += gas;
  record_latency(took);
}

void VmUsage::record_probe(std::chrono::nanoseconds took) {
  MutexLock lock(mu_);
  record_latency(took);
}

void VmUsage::record_executed(const std::string& contract, const std::string& function, std::uint64_t gas) {
  MutexLock lock(mu_);
  FunctionUsage& usage = functions_[{contract, function}];
  ++usage.transactions;
  usage.gas_used += gas;
}

void VmUsage::record_latency(std::chrono::nanoseconds took) {
  const double seconds = std::chrono::duration<double>(took).count();
  window_seconds_[latency_count_ % kLatencyWindow] = seconds;
  ++latency_count_;
  latency_sum_seconds_ += seconds;
}

LatencySummary VmUsage::latency() const {
  std::vector<double> sorted;
  LatencySummary summary;
  {
    MutexLock lock(mu_);
    const auto samples = static_cast<std::size_t>(std::min<std::uint64_t>(latency_count_, kLatencyWindow));
    sorted.assign(window_seconds_.begin(), window_seconds_.begin() + static_cast<std::ptrdiff_t>(samples));
    summary.count = latency_count_;
    summary.sum_seconds = latency_sum_seconds_;
  }
  std::ranges::sort(sorted);
  summary.samples = sorted.size();
  summary.p50_ms = percentile(sorted, 0.50) * 1000;
  summary.p95_ms = percentile(sorted, 0.95) * 1000;
  return summary;
}

json VmUsage::to_json() const {
  const LatencySummary summary = latency();
  FunctionUsage total;
  json contracts = json::object();
  {
    MutexLock lock(mu_);
    for (const auto& [names, usage] : functions_) {
      const auto& [contract, function] = names;
      json& entry = contracts[contract];
      if (entry.is_null()) entry = json{{"gas_used", 0}, {"transactions", 0}, {"functions", json::object()}};
      entry["gas_used"] = entry["gas_used"].get<std::uint64_t>() + usage.gas_used;
      entry["transactions"] = entry["transactions"].get<std::uint64_t>() + usage.transactions;
      entry["functions"][function] = usage_json(usage);
      total.calls += usage.calls;
      total.reverts += usage.reverts;
      total.estimates += usage.estimates;
      total.estimate_reverts += usage.estimate_reverts;
      total.transactions += usage.transactions;
      total.gas_used += usage.gas_used;
    }
  }
  return json{{"calls", total.calls},
              {"reverts", total.reverts},
              {"estimates", total.estimates},
              {"estimate_reverts", total.estimate_reverts},
              {"transactions", total.transactions},
              {"gas_used", total.gas_used},
              {"latency_ms", json{{"p50", summary.p50_ms},
                                  {"p95", summary.p95_ms},
                                  {"samples", summary.samples},
                                  {"window", kLatencyWindow}}},
              {"contracts", std::move(contracts)}};
}

void VmUsage::write_metrics(PrometheusWriter& out) const {
  struct Family {
    const char* name;
    const char* help;
    std::uint64_t FunctionUsage::*member;
  };
  static constexpr std::array kFamilies{
      Family{"lucid_chain_vm_calls_total", "View calls answered, per contract and function.",
             &FunctionUsage::calls},
      Family{"lucid_chain_vm_call_reverts_total", "View calls that reverted.", &FunctionUsage::reverts},
      Family{"lucid_chain_vm_estimates_total",
             "Transactions estimated (executed on a copy of the head state).", &FunctionUsage::estimates},
      Family{"lucid_chain_vm_estimate_reverts_total", "Estimated transactions that would revert.",
             &FunctionUsage::estimate_reverts},
      Family{"lucid_chain_vm_estimated_gas_total", "Gas the estimated transactions would use.",
             &FunctionUsage::estimated_gas},
      Family{"lucid_chain_vm_transactions_total",
             "Transactions the chain executed, per contract and function.", &FunctionUsage::transactions},
      Family{"lucid_chain_vm_gas_used_total", "Gas the chain's executed transactions used.",
             &FunctionUsage::gas_used},
  };
  const LatencySummary summary = latency();
  {
    MutexLock lock(mu_);
    for (const Family& family : kFamilies) {
      out.family(family.name, "counter", family.help);
      for (const auto& [names, usage] : functions_)
        out.sample(family.name, {{"contract", names.first}, {"function", names.second}},
                   usage.*family.member);
    }
  }
  constexpr std::string_view kLatency = "lucid_chain_vm_execution_seconds";
  out.family(kLatency, "summary",
             "Time to execute a view call, an estimate or the probe; quantiles over the most recent 256.");
  out.sample(kLatency, {{"quantile", "0.5"}}, summary.p50_ms / 1000);
  out.sample(kLatency, {{"quantile", "0.95"}}, summary.p95_ms / 1000);
  out.sample("lucid_chain_vm_execution_seconds_sum", {}, summary.sum_seconds);
  out.sample("lucid_chain_vm_execution_seconds_count", {}, summary.count);
}

}  // namespace lucid::chain
