#include "lucid/chain/vm.h"

#include <fmt/format.h>

#include <algorithm>

#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/governance.h"
#include "lucid/chain/param_registry.h"
#include "lucid/chain/payout_router.h"

namespace lucid::chain {
namespace {

std::string nonce_key(const crypto::Ed25519PublicKey& sender) {
  return "nonce/" + to_hex(sender);
}

Bytes u64_bytes(std::uint64_t n) {
  Bytes out(8);
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
  }
  return out;
}

std::uint64_t u64_from(const Bytes& bytes) {
  std::uint64_t n = 0;
  for (std::uint8_t b : bytes) {
    n = (n << 8) | b;
  }
  return n;
}

// Decodes calldata against `contract`: its selector names a function, the rest its arguments.
Result<std::pair<const AbiFunction*, std::vector<AbiValue>>> decode(const Contract& contract,
                                                                    const std::string& name,
                                                                    std::span<const std::uint8_t> calldata) {
  Selector selector{};
  if (calldata.size() < selector.size()) {
    return fail(ErrorKind::kInvalidArgument, fmt::format("calldata for {} is shorter than a selector", name));
  }
  std::copy_n(calldata.begin(), selector.size(), selector.begin());
  const AbiFunction* function = contract.abi().function(selector);
  if (function == nullptr) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} has no function with selector 0x{}", name, to_hex(selector)));
  }
  auto arguments = decode_call(*function, calldata);
  if (!arguments) {
    return std::unexpected(arguments.error());
  }
  return std::pair{function, std::move(*arguments)};
}

Result<Bytes> encode_output(const AbiFunction& function, const std::vector<AbiValue>& values) {
  std::vector<AbiType> types;
  for (const AbiParam& output : function.outputs) {
    types.push_back(output.type);
  }
  return abi_encode(types, values);
}

}  // namespace

CallContext::CallContext(std::string contract, StateOverlay& state, const Transaction* tx,
                         std::uint64_t height, std::uint64_t time_ms, const GasSchedule& gas,
                         const std::vector<crypto::Ed25519PublicKey>* governors)
    : prefix_(contract + "/"),
      contract_(std::move(contract)),
      state_(state),
      tx_(tx),
      height_(height),
      time_ms_(time_ms),
      gas_(gas),
      governors_(governors) {}

CallContext::ActingFor::ActingFor(CallContext& context, std::string contract)
    : context_(context), saved_contract_(std::move(context.contract_)) {
  context_.prefix_ = contract + "/";
  context_.contract_ = std::move(contract);
}

CallContext::ActingFor::~ActingFor() {
  context_.prefix_ = saved_contract_ + "/";
  context_.contract_ = std::move(saved_contract_);
}

const std::vector<crypto::Ed25519PublicKey>& CallContext::governors() const {
  static const std::vector<crypto::Ed25519PublicKey> none;
  return governors_ == nullptr ? none : *governors_;
}

bool CallContext::is_governor(const crypto::Ed25519PublicKey& key) const {
  return std::binary_search(governors().begin(), governors().end(), key);
}

Status CallContext::charge(std::uint64_t gas) {
  if (gas > gas_.limit - gas_used_) {
    gas_used_ = gas_.limit;
    return fail(ErrorKind::kInvalidArgument, fmt::format("out of gas (limit {})", gas_.limit));
  }
  gas_used_ += gas;
  return {};
}

Result<std::optional<Bytes>> CallContext::load(const std::string& key) {
  if (auto ok = charge(gas_.storage_read); !ok) {
    return std::unexpected(ok.error());
  }
  return state_.get(prefix_ + key);
}

Status CallContext::store(const std::string& key, Bytes value) {
  if (tx_ == nullptr) {
    return fail(ErrorKind::kInvalidArgument, "a view call cannot write");
  }
  if (auto ok = charge(gas_.storage_write); !ok) {
    return ok;
  }
  state_.put(prefix_ + key, std::move(value));
  return {};
}

Status CallContext::emit(const AbiEvent& event, const std::vector<AbiValue>& arguments) {
  auto log = encode_event(event, arguments);
  if (!log) {
    return std::unexpected(log.error());
  }
  if (auto ok = charge(gas_.log + gas_.log_topic * log->topics.size() + gas_.log_byte * log->data.size());
      !ok) {
    return ok;
  }
  logs_.push_back({contract_, std::move(*log)});
  return {};
}

std::optional<crypto::Ed25519PublicKey> CallContext::sender() const {
  if (tx_ == nullptr) {
    return std::nullopt;
  }
  return tx_->from;
}

Vm::Vm() : Vm(std::vector<crypto::Ed25519PublicKey>{}) {}

Vm::Vm(std::vector<crypto::Ed25519PublicKey> governors) : governors_(std::move(governors)) {
  std::sort(governors_.begin(), governors_.end());
  governors_.erase(std::unique(governors_.begin(), governors_.end()), governors_.end());
  contracts_.emplace("AnchorRegistry", std::make_unique<AnchorRegistry>());
  contracts_.emplace("ParamRegistry", std::make_unique<ParamRegistry>());
  contracts_.emplace("Governance", std::make_unique<Governance>());
  contracts_.emplace("PR0", std::make_unique<PayoutRouter>("PR0", PayoutKyc::kNone));
  contracts_.emplace("PRKYC", std::make_unique<PayoutRouter>("PRKYC", PayoutKyc::kRequired));
}

const Contract* Vm::contract(std::string_view name) const {
  auto it = contracts_.find(name);
  return it == contracts_.end() ? nullptr : it->second.get();
}

std::uint64_t Vm::next_nonce(const State& state, const crypto::Ed25519PublicKey& sender) {
  auto stored = state.get(nonce_key(sender));
  return stored ? u64_from(*stored) : 0;
}

Receipt Vm::apply(State& state, const Transaction& tx, std::uint64_t height, std::uint64_t time_ms) const {
  Receipt receipt;
  receipt.transaction = transaction_hash(tx);
  std::uint64_t expected = next_nonce(state, tx.from);
  if (tx.nonce != expected) {
    receipt.error = fmt::format("nonce {} is not the sender's next ({})", tx.nonce, expected);
    return receipt;
  }
  state.put(nonce_key(tx.from), u64_bytes(expected + 1));

  StateOverlay overlay(state);
  CallContext context(tx.contract, overlay, &tx, height, time_ms, gas_, &governors_);
  auto outcome = [&]() -> Result<Bytes> {
    if (auto ok = context.charge(gas_.transaction + gas_.calldata_byte * tx.data.size()); !ok) {
      return std::unexpected(ok.error());
    }
    const Contract* target = contract(tx.contract);
    if (target == nullptr) {
      return fail(ErrorKind::kNotFound, fmt::format("no contract named {}", tx.contract));
    }
    auto call = decode(*target, tx.contract, tx.data);
    if (!call) {
      return std::unexpected(call.error());
    }
    auto output = target->call(*call->first, call->second, context);
    if (!output) {
      return std::unexpected(output.error());
    }
    return encode_output(*call->first, *output);
  }();
  receipt.gas_used = context.gas_used();
  if (!outcome) {
    receipt.error = outcome.error().message;
    return receipt;
  }
  overlay.commit(state);
  receipt.success = true;
  receipt.output = std::move(*outcome);
  receipt.logs = std::move(context.logs());
  return receipt;
}

std::vector<Receipt> Vm::execute(State& state, const Block& block) const {
  std::vector<Receipt> receipts;
  receipts.reserve(block.transactions.size());
  for (const Transaction& tx : block.transactions) {
    receipts.push_back(apply(state, tx, block.header.height, block.header.time_ms));
  }
  return receipts;
}

Result<Bytes> Vm::view(const State& state, const std::string& name, std::span<const std::uint8_t> calldata,
                       std::uint64_t height, std::uint64_t* gas_used) const {
  const Contract* target = contract(name);
  if (target == nullptr) {
    return fail(ErrorKind::kNotFound, fmt::format("no contract named {}", name));
  }
  auto call = decode(*target, name, calldata);
  if (!call) {
    return std::unexpected(call.error());
  }
  if (call->first->state_mutability != "view" && call->first->state_mutability != "pure") {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}.{} changes state; submit a transaction", name, call->first->name));
  }
  StateOverlay overlay(state);
  CallContext context(name, overlay, nullptr, height, 0, gas_, &governors_);
  auto output = target->call(*call->first, call->second, context);
  if (gas_used != nullptr) {
    *gas_used = context.gas_used();
  }
  if (!output) {
    return std::unexpected(output.error());
  }
  return encode_output(*call->first, *output);
}

}  // namespace lucid::chain
