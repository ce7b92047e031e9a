// blockchain-governances' executor: once an approved proposal's timelock has passed at the final
// height, it sends Governance.execute(id) to blockchain-core with its own key (which only pays the
// nonce: anyone may execute), one transaction at a time, and waits for its receipt before the next.
// A revert is remembered and retried only every `retry_blocks` final blocks. What is due is decided
// by a pure function of the chain's state (due_for_execution); the rest is the loop around it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/chain/core_api_client.h"
#include "lucid/chain/governance_view.h"
#include "lucid/chain/validator.h"

namespace lucid::chain {

// An execute transaction that reverted (e.g. the bounds no longer held at execution).
struct FailedExecution {
  std::string error;         // the receipt's reason
  std::uint64_t height = 0;  // the block it reverted in
};
using ExecutionFailures = std::map<std::uint64_t, FailedExecution>;  // by proposal id

// The proposals to execute now, lowest id first: approved in `final_state` with the earliest execution
// height reached at `final_height`, still approved in `head_state` (no execute landed after the final
// height), and not reverted within the last `retry_blocks` final blocks.
Result<std::vector<ProposalEntry>> due_for_execution(const State& final_state, std::uint64_t final_height,
                                                     const State& head_state,
                                                     const ExecutionFailures& failures,
                                                     std::uint64_t retry_blocks);

struct ExecutorOptions {
  std::optional<crypto::Ed25519KeyPair> sender;  // none: read-only (nothing is ever sent)
  std::string read_only_reason;                  // why there is no sender, for the status
  std::vector<std::string> core_urls;            // blockchain-core API base URLs, failed over in turn
  std::uint64_t retry_blocks = 10;
  std::chrono::milliseconds poll_interval{250};
};

struct InFlightExecution {
  std::uint64_t proposal = 0;
  Hash transaction{};
  std::uint64_t nonce = 0;
  std::string core;                // the API that queued it
  std::uint64_t submitted_at = 0;  // the final height when it was sent
  std::uint64_t included_at = 0;   // the block it executed in (0: not yet)
};

struct ExecutorStatus {
  bool enabled = false;
  std::string sender;  // public key hex ("" when read-only)
  std::string read_only_reason;
  std::vector<std::string> core;
  std::uint64_t retry_blocks = 0;
  std::optional<InFlightExecution> in_flight;
  std::uint64_t submitted = 0;
  std::uint64_t executed = 0;
  std::uint64_t reverted = 0;
  std::uint64_t lost = 0;  // never included: the key's nonce was used by another transaction
  std::string last_error;  // the last failure to reach or use the API (empty once it worked again)
  ExecutionFailures failures;
};

nlohmann::json executor_status_to_json(const ExecutorStatus& status);

class GovernanceExecutor {
 public:
  // Starts the loop over `observer` (which must outlive it) when options.sender is set; without one it
  // only reports that it is read-only.
  static std::unique_ptr<GovernanceExecutor> start(const Validator& observer, ExecutorOptions options);
  ~GovernanceExecutor();
  GovernanceExecutor(const GovernanceExecutor&) = delete;
  GovernanceExecutor& operator=(const GovernanceExecutor&) = delete;

  void stop();
  ExecutorStatus status() const EXCLUDES(mu_);
  // The last revert of proposal `id`'s execution, while it is still approved.
  std::optional<FailedExecution> failure(std::uint64_t id) const EXCLUDES(mu_);

 private:
  GovernanceExecutor(const Validator& observer, ExecutorOptions options);
  void loop();
  void step() EXCLUDES(mu_);
  // Waits for the receipt of the transaction in flight; settles it once the observer's final state
  // holds it, or drops it when its nonce went to another transaction.
  void follow(const InFlightExecution& in_flight) EXCLUDES(mu_);
  // Sends the execute of the first due proposal, if any.
  void execute_next() EXCLUDES(mu_);
  void note_error(const std::string& message) EXCLUDES(mu_);

  const Validator& observer_;
  ExecutorOptions options_;
  CoreApiClient core_;  // the loop thread's own

  mutable Mutex mu_;
  std::optional<InFlightExecution> in_flight_ GUARDED_BY(mu_);
  ExecutionFailures failures_ GUARDED_BY(mu_);
  std::uint64_t submitted_ GUARDED_BY(mu_) = 0;
  std::uint64_t executed_ GUARDED_BY(mu_) = 0;
  std::uint64_t reverted_ GUARDED_BY(mu_) = 0;
  std::uint64_t lost_ GUARDED_BY(mu_) = 0;
  std::string last_error_ GUARDED_BY(mu_);

  std::atomic<bool> stopping_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::thread thread_;
};

}  // namespace lucid::chain
