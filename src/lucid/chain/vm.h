// blockchain-virtual-machine's core: executes transactions against the state by calling the
// platform's contracts natively behind their Solidity ABI interfaces (no EVM bytecode), with gas
// accounting per call. Deterministic: the same state and block give the same receipts and root on
// every validator.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/chain/block.h"
#include "lucid/chain/contract_abi.h"
#include "lucid/chain/state.h"

namespace lucid::chain {

// Gas: what a call costs, in the proportions Ethereum uses (a base per transaction, calldata bytes,
// storage writes, logs), so that a sender's cost follows the load it puts on every validator.
struct GasSchedule {
  std::uint64_t transaction = 21000;
  std::uint64_t calldata_byte = 16;
  std::uint64_t storage_read = 800;
  std::uint64_t storage_write = 20000;
  std::uint64_t log = 375;
  std::uint64_t log_topic = 375;
  std::uint64_t log_byte = 8;
  std::uint64_t limit = 10'000'000;  // per transaction
};

struct LogEntry {
  std::string contract;
  EventLog log;
};

struct Receipt {
  Hash transaction{};
  bool success = false;
  std::string error;  // why it reverted (empty on success)
  std::uint64_t gas_used = 0;
  Bytes output;  // the ABI-encoded return values
  std::vector<LogEntry> logs;
};

// What a contract sees of one call: its storage (keys are prefixed with the contract's name), the
// caller, the block, the governors, gas, and where its events go. A Result error from the contract
// reverts the call.
class CallContext {
 public:
  // `governors` (the Vm's; none when null) must outlive the context.
  CallContext(std::string contract, StateOverlay& state, const Transaction* tx, std::uint64_t height,
              std::uint64_t time_ms, const GasSchedule& gas,
              const std::vector<crypto::Ed25519PublicKey>* governors = nullptr);

  Result<std::optional<Bytes>> load(const std::string& key);
  Status store(const std::string& key, Bytes value);
  Status emit(const AbiEvent& event, const std::vector<AbiValue>& arguments);
  Status charge(std::uint64_t gas);

  // The sender of the transaction; nullopt in a view call.
  std::optional<crypto::Ed25519PublicKey> sender() const;
  std::uint64_t height() const { return height_; }
  std::uint64_t time_ms() const { return time_ms_; }
  std::uint64_t gas_used() const { return gas_used_; }
  std::vector<LogEntry>& logs() { return logs_; }
  // The chain's governors (its validator set, sorted, distinct), who propose and vote in Governance.
  const std::vector<crypto::Ed25519PublicKey>& governors() const;
  bool is_governor(const crypto::Ed25519PublicKey& key) const;

  // While the returned guard lives, this call acts for `contract`: load and store use that
  // contract's storage and emit names it in the logs; gas, the overlay and the logs stay this
  // call's, so a revert undoes both contracts' writes. How one native contract writes another's
  // state inside its own call (Governance executing into ParamRegistry), with no transaction.
  class ActingFor {
   public:
    ActingFor(const ActingFor&) = delete;
    ActingFor& operator=(const ActingFor&) = delete;
    ActingFor(ActingFor&&) = delete;
    ActingFor& operator=(ActingFor&&) = delete;
    ~ActingFor();

   private:
    friend class CallContext;
    ActingFor(CallContext& context, std::string contract);
    CallContext& context_;
    std::string saved_contract_;
  };
  [[nodiscard]] ActingFor act_for(std::string contract) { return {*this, std::move(contract)}; }

 private:
  std::string prefix_;
  std::string contract_;
  StateOverlay& state_;
  const Transaction* tx_;
  std::uint64_t height_;
  std::uint64_t time_ms_;
  const GasSchedule& gas_;
  const std::vector<crypto::Ed25519PublicKey>* governors_;
  std::uint64_t gas_used_ = 0;
  std::vector<LogEntry> logs_;
};

class Contract {
 public:
  virtual ~Contract() = default;
  virtual const ContractAbi& abi() const = 0;
  // One call of `function` with decoded arguments; returns the output values. An error reverts.
  virtual Result<std::vector<AbiValue>> call(const AbiFunction& function,
                                             const std::vector<AbiValue>& arguments,
                                             CallContext& context) const = 0;
};

class Vm {
 public:
  // The platform's contracts, each with the interface of its embedded JSON ABI file, and no
  // governors (nobody can propose or vote in Governance).
  Vm();
  // The same, governed by `governors` (the chain's validator set, e.g. Genesis::validators): who
  // may propose and vote in Governance. Kept sorted and distinct.
  explicit Vm(std::vector<crypto::Ed25519PublicKey> governors);

  // Executes one transaction: its nonce must be the sender's next (else it fails without effect);
  // the sender's nonce advances whether or not the call then reverts; a revert keeps no other write.
  Receipt apply(State& state, const Transaction& tx, std::uint64_t height, std::uint64_t time_ms) const;
  // Every transaction of `block` in order.
  std::vector<Receipt> execute(State& state, const Block& block) const;
  // A call of a view function against the state (nothing is written); returns its ABI output. The gas
  // the call used (storage reads; no per-transaction base, since it is no transaction) goes to
  // `gas_used` when given, also when it reverts.
  Result<Bytes> view(const State& state, const std::string& contract, std::span<const std::uint8_t> calldata,
                     std::uint64_t height, std::uint64_t* gas_used = nullptr) const;

  const Contract* contract(std::string_view name) const;
  const GasSchedule& gas() const { return gas_; }
  const std::vector<crypto::Ed25519PublicKey>& governors() const { return governors_; }
  // The sender's next nonce in `state`.
  static std::uint64_t next_nonce(const State& state, const crypto::Ed25519PublicKey& sender);

 private:
  std::map<std::string, std::unique_ptr<Contract>, std::less<>> contracts_;
  GasSchedule gas_;
  std::vector<crypto::Ed25519PublicKey> governors_;
};

}  // namespace lucid::chain
