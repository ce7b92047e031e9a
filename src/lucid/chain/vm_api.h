// blockchain-virtual-machine's HTTP API (docs/chain.md "blockchain-virtual-machine"; requests and
// answers in docs/formats.md "Data chain: the API of lucid-blockchain-virtual-machine"): view calls
// against the final or head state, estimates of transactions on a copy of the head state, the ABI
// self-test, status, health (latency within its budget) and metrics. It reads the chain through a
// ChainSource: in the service, an observer (Validator::observe) that executes every ordered block.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "lucid/base/http_server.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/chain/ledger.h"
#include "lucid/chain/validator.h"
#include "lucid/chain/vm_usage.h"

namespace lucid::chain {

// Where the API reads the chain: the ledger, under whatever lock guards it, and the follower's status.
class ChainSource {
 public:
  virtual ~ChainSource() = default;
  // Calls `read` with the ledger; keep it short (the follower may wait meanwhile).
  virtual void read(const std::function<void(const Ledger&)>& read) const = 0;
  virtual ValidatorStatus status() const = 0;
};

// A Validator (the service's observer) as a ChainSource.
class ValidatorSource final : public ChainSource {
 public:
  explicit ValidatorSource(const Validator& validator) : validator_(validator) {}
  void read(const std::function<void(const Ledger&)>& read) const override {
    validator_.read([&](const Ledger& ledger) { read(ledger); });
  }
  ValidatorStatus status() const override { return validator_.status(); }

 private:
  const Validator& validator_;
};

struct VmApiOptions {
  // /health fails while the p95 of the most recent executions is above this.
  std::chrono::milliseconds latency_budget{50};
  // How often the probe runs (start_probe): a timed view call, and the gas of newly executed blocks.
  std::chrono::milliseconds probe_interval{5000};
};

class VmApi {
 public:
  VmApi(const ChainSource& chain, VmApiOptions options) : chain_(chain), options_(options) {}
  ~VmApi();  // stops the probe thread
  VmApi(const VmApi&) = delete;
  VmApi& operator=(const VmApi&) = delete;

  http::Response handle(const http::Request& request);

  // Runs probe() now and then every options.probe_interval on a thread of its own, until destroyed.
  void start_probe();
  // One probe: ParamRegistry.names() on the final state, timed like a call (so /health has a recent
  // latency without traffic), then the gas of the blocks executed since the last probe, by contract
  // and function. A failing view call is kept as the probe's error (and /health fails with it).
  void probe();

 private:
  http::Response call(const http::Request& request);
  http::Response estimate(const http::Request& request);
  http::Response abi_tests() const;
  http::Response status() const;
  http::Response health() const;
  http::Response metrics() const;
  // Records the gas of the blocks executed after scanned_height_ (a bounded number per probe).
  void count_executed_blocks();

  const ChainSource& chain_;
  VmApiOptions options_;
  VmUsage usage_;

  mutable Mutex probe_mu_;
  std::uint64_t probes_ GUARDED_BY(probe_mu_) = 0;
  std::string probe_error_ GUARDED_BY(probe_mu_);           // "" when the last probe succeeded
  std::uint64_t scanned_height_ GUARDED_BY(probe_mu_) = 0;  // blocks up to here are counted

  std::mutex wake_mu_;
  std::condition_variable_any wake_;
  std::jthread prober_;
};

}  // namespace lucid::chain
