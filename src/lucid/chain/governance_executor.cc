#include "lucid/chain/governance_executor.h"

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/chain/anchor_registry.h"

namespace lucid::chain {

namespace {

void log_line(const std::string& text) {
  fmt::print(stderr, "blockchain-governances: {}\n", text);
  (void)std::fflush(stderr);
}

}  // namespace

Result<std::vector<ProposalEntry>> due_for_execution(const State& final_state, std::uint64_t final_height,
                                                     const State& head_state,
                                                     const ExecutionFailures& failures,
                                                     std::uint64_t retry_blocks) {
  auto tally = tally_proposals(final_state);
  if (!tally) return std::unexpected(tally.error());
  std::vector<ProposalEntry> due;
  for (const ProposalEntry& entry : tally->approved) {
    if (!executable_at(entry.proposal, final_height)) continue;
    auto failed = failures.find(entry.id);
    if (failed != failures.end() && final_height < failed->second.height + retry_blocks) continue;
    // Executed after the final height (by us or anyone): sending another would only revert.
    auto at_head = read_proposal(head_state, entry.id);
    if (!at_head) return std::unexpected(with_context(fmt::format("proposal {}", entry.id), at_head.error()));
    if (at_head->status != ProposalStatus::kApproved) continue;
    due.push_back(entry);
  }
  return due;
}

nlohmann::json executor_status_to_json(const ExecutorStatus& status) {
  using nlohmann::json;
  json in_flight = nullptr;
  if (status.in_flight)
    in_flight = json{{"proposal", status.in_flight->proposal},
                     {"transaction", to_hex(status.in_flight->transaction)},
                     {"nonce", status.in_flight->nonce},
                     {"core", status.in_flight->core},
                     {"submitted_at_height", status.in_flight->submitted_at},
                     {"included_at_height", status.in_flight->included_at}};
  auto failures = json::array();
  for (const auto& [proposal, failed] : status.failures)
    failures.push_back(json{{"proposal", proposal},
                            {"error", failed.error},
                            {"height", failed.height},
                            {"retry_from_height", failed.height + status.retry_blocks}});
  return json{{"mode", status.enabled ? "executor" : "read-only"},
              {"sender", status.sender},
              {"read_only_reason", status.read_only_reason},
              {"core", status.core},
              {"retry_blocks", status.retry_blocks},
              {"in_flight", in_flight},
              {"submitted", status.submitted},
              {"executed", status.executed},
              {"reverted", status.reverted},
              {"lost", status.lost},
              {"last_error", status.last_error},
              {"failures", failures}};
}

GovernanceExecutor::GovernanceExecutor(const Validator& observer, ExecutorOptions options)
    : observer_(observer), options_(std::move(options)), core_(options_.core_urls) {}

std::unique_ptr<GovernanceExecutor> GovernanceExecutor::start(const Validator& observer,
                                                              ExecutorOptions options) {
  std::unique_ptr<GovernanceExecutor> executor(new GovernanceExecutor(observer, std::move(options)));
  if (executor->options_.sender) executor->thread_ = std::thread([e = executor.get()] { e->loop(); });
  return executor;
}

GovernanceExecutor::~GovernanceExecutor() {
  stop();
}

void GovernanceExecutor::stop() {
  if (stopping_.exchange(true)) return;
  { std::lock_guard lock(sleep_mu_); }
  sleep_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ExecutorStatus GovernanceExecutor::status() const {
  ExecutorStatus status;
  status.enabled = options_.sender.has_value();
  status.sender = options_.sender ? to_hex(options_.sender->public_key()) : std::string();
  status.read_only_reason = options_.read_only_reason;
  status.core = core_.base_urls();
  status.retry_blocks = options_.retry_blocks;
  MutexLock lock(mu_);
  status.in_flight = in_flight_;
  status.submitted = submitted_;
  status.executed = executed_;
  status.reverted = reverted_;
  status.lost = lost_;
  status.last_error = last_error_;
  status.failures = failures_;
  return status;
}

std::optional<FailedExecution> GovernanceExecutor::failure(std::uint64_t id) const {
  MutexLock lock(mu_);
  auto found = failures_.find(id);
  if (found == failures_.end()) return std::nullopt;
  return found->second;
}

void GovernanceExecutor::loop() {
  while (!stopping_) {
    step();
    std::unique_lock lock(sleep_mu_);
    sleep_cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_.load(); });
  }
}

void GovernanceExecutor::note_error(const std::string& message) {
  MutexLock lock(mu_);
  if (last_error_ != message) log_line(message);  // once per distinct failure, not once per poll
  last_error_ = message;
}

void GovernanceExecutor::step() {
  const ValidatorStatus chain = observer_.status();
  // A halted or disconnected observer's state is not one to act on; /health reports it.
  if (chain.halted || !chain.connected) return;
  std::optional<InFlightExecution> in_flight;
  {
    MutexLock lock(mu_);
    in_flight = in_flight_;
  }
  if (in_flight) {
    follow(*in_flight);
  } else {
    execute_next();
  }
}

void GovernanceExecutor::follow(const InFlightExecution& in_flight) {
  auto landed = core_.transaction(in_flight.transaction);
  if (!landed) {
    note_error(fmt::format("reading the receipt of proposal {}'s execute: {}", in_flight.proposal,
                           landed.error().message));
    return;
  }
  const crypto::Ed25519PublicKey sender = options_.sender->public_key();
  if (!*landed) {
    // Not executed where we asked. Lost only when the observer's head already used its nonce for
    // another transaction; otherwise it is still queued.
    const bool lost = observer_.read([&](const Ledger& ledger) {
      return Vm::next_nonce(ledger.state(), sender) > in_flight.nonce &&
             !ledger.find_transaction(in_flight.transaction).has_value();
    });
    if (!lost) return;
    MutexLock lock(mu_);
    in_flight_.reset();
    ++lost_;
    last_error_ = fmt::format(
        "the execute of proposal {} ({}) was never included: nonce {} went to another transaction of the "
        "executor's key (is the key used elsewhere?); it is sent again",
        in_flight.proposal, to_hex(in_flight.transaction), in_flight.nonce);
    log_line(last_error_);
    return;
  }
  const nlohmann::json& found = **landed;
  const std::uint64_t height = found["height"].get<std::uint64_t>();
  {
    MutexLock lock(mu_);
    if (in_flight_) in_flight_->included_at = height;
  }
  // Settled only once the observer's final state holds it, so that the next decision (made at the
  // final height) sees its effect and never sends a second execute for the same proposal.
  const std::uint64_t final_height =
      observer_.read([](const Ledger& ledger) { return ledger.final_height(); });
  if (!found["final"].get<bool>() || final_height < height) return;
  const nlohmann::json& receipt = found["receipt"];
  const bool success = receipt.value("success", false);
  const std::string error = receipt.value("error", std::string());
  MutexLock lock(mu_);
  in_flight_.reset();
  last_error_.clear();
  if (success) {
    ++executed_;
    failures_.erase(in_flight.proposal);
    log_line(fmt::format("proposal {} executed at height {} (transaction {})", in_flight.proposal, height,
                         to_hex(in_flight.transaction)));
  } else {
    ++reverted_;
    failures_[in_flight.proposal] = FailedExecution{error, height};
    log_line(fmt::format("the execute of proposal {} reverted at height {}: {}; retried from height {}",
                         in_flight.proposal, height, error, height + options_.retry_blocks));
  }
}

void GovernanceExecutor::execute_next() {
  ExecutionFailures failures;
  {
    MutexLock lock(mu_);
    failures = failures_;
  }
  const crypto::Ed25519PublicKey sender = options_.sender->public_key();
  struct Decision {
    std::uint64_t final_height = 0;
    std::uint64_t nonce = 0;
    Result<std::vector<ProposalEntry>> due;
    std::vector<std::uint64_t> settled;  // failures of proposals no longer approved
  };
  Decision decision = observer_.read([&](const Ledger& ledger) {
    Decision d{ledger.final_height(),
               Vm::next_nonce(ledger.state(), sender),
               due_for_execution(ledger.final_state(), ledger.final_height(), ledger.state(), failures,
                                 options_.retry_blocks),
               {}};
    for (const auto& entry : failures) {
      auto proposal = read_proposal(ledger.final_state(), entry.first);
      if (proposal && proposal->status != ProposalStatus::kApproved) d.settled.push_back(entry.first);
    }
    return d;
  });
  if (!decision.settled.empty()) {
    MutexLock lock(mu_);
    for (std::uint64_t id : decision.settled) failures_.erase(id);
  }
  if (!decision.due) {
    note_error(fmt::format("reading the proposals at the final height: {}", decision.due.error().message));
    return;
  }
  if (decision.due->empty()) return;
  const ProposalEntry& next = decision.due->front();
  const AbiFunction& execute = *embedded_abi("Governance").function("execute");
  const AbiValue id = AbiValue::uint(next.id);
  auto calldata = encode_call(execute, std::span(&id, 1));
  if (!calldata) {
    note_error(fmt::format("encoding execute({}): {}", next.id, calldata.error().message));
    return;
  }
  Transaction tx{observer_.status().chain_id, sender, decision.nonce, "Governance", std::move(*calldata), {}};
  sign_transaction(tx, *options_.sender);
  auto queued = core_.submit(tx);
  if (!queued) {
    note_error(fmt::format("sending the execute of proposal {}: {}", next.id, queued.error().message));
    return;
  }
  const Hash hash = transaction_hash(tx);
  MutexLock lock(mu_);
  in_flight_ = InFlightExecution{next.id, hash, decision.nonce, *queued, decision.final_height, 0};
  ++submitted_;
  last_error_.clear();
  log_line(
      fmt::format("executing proposal {} ({} = {}, executable since height {}): transaction {} nonce {} "
                  "via {}",
                  next.id, to_string(next.proposal.param), next.proposal.value,
                  next.proposal.earliest_execution_height, to_hex(hash), decision.nonce, *queued));
}

}  // namespace lucid::chain
