// PR0 and PRKYC (contracts/{PR0,PRKYC}.abi.json; docs/chain.md "Contracts"): the record of
// node-economy's monthly payout batches and of the TRON transfer receipts that settle them; one
// implementation, instantiated without KYC (PR0) and with a KYC attestation root per batch (PRKYC).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/chain/vm.h"

namespace lucid::chain {

// Whether a router's batches carry the root of their recipients' KYC attestations (PRKYC) or not (PR0).
enum class PayoutKyc { kNone, kRequired };

// A batch's period YYYYMM: year 2000..9999, month 1..12.
bool valid_payout_period(std::uint64_t period);

// Recorders (a set of Ed25519 keys, changed by any one governor) record batches and receipts. A batch
// (batchId, period, payoutsRoot, payouts, total[, kycRoot]) is recorded once; each receipt (a TRON
// transaction id, once per router) pays part of one unsettled batch, never beyond its total, and
// the receipt that reaches the total settles it. Amounts are uint256 words compared and added as
// 256-bit numbers; a sum that would overflow is refused like any over-payment.
class PayoutRouter final : public Contract {
 public:
  // `contract` names the embedded ABI and the storage prefix: "PR0" (kNone) or "PRKYC" (kRequired).
  PayoutRouter(std::string_view contract, PayoutKyc kyc);
  const ContractAbi& abi() const override { return abi_; }
  Result<std::vector<AbiValue>> call(const AbiFunction& function, const std::vector<AbiValue>& arguments,
                                     CallContext& context) const override;

  // State keys below the contract's prefix (docs/formats.md "state root"): "recorders" (bytes32[],
  // sorted), "count" (uint64 batches), "batch/<batchId hex>" (getBatch's outputs) and
  // "receipt/<tronTx hex>" (getReceipt's outputs).
  static std::string batch_key(std::span<const std::uint8_t> batch_id);
  static std::string receipt_key(std::span<const std::uint8_t> tron_tx);
  static constexpr std::string_view kRecordersKey = "recorders";
  static constexpr std::string_view kCountKey = "count";
  // The most recorders one router holds (the bound of the validator set too).
  static constexpr std::size_t kMaxRecorders = 64;

 private:
  Result<std::vector<AbiValue>> change_recorder(const std::vector<AbiValue>& arguments, bool add,
                                                CallContext& context) const;
  Result<std::vector<AbiValue>> record_batch(const std::vector<AbiValue>& arguments,
                                             CallContext& context) const;
  Result<std::vector<AbiValue>> record_receipt(const std::vector<AbiValue>& arguments,
                                               CallContext& context) const;
  Result<std::vector<AbiValue>> get_batch(const std::vector<AbiValue>& arguments, CallContext& context) const;
  Result<std::vector<AbiValue>> get_receipt(const std::vector<AbiValue>& arguments,
                                            CallContext& context) const;
  Result<std::vector<Bytes>> load_recorders(CallContext& context) const;
  // The sender, if it is one of the recorders; else kAuthentication naming it.
  Result<Bytes> need_recorder(CallContext& context) const;
  // The stored record of a batch (getBatch's outputs), or kNotFound "unknown batch".
  Result<std::vector<AbiValue>> load_batch(std::span<const std::uint8_t> batch_id,
                                           CallContext& context) const;

  std::string name_;
  PayoutKyc kyc_;
  ContractAbi abi_;
  std::vector<AbiType> batch_types_;    // getBatch's outputs: the stored batch record
  std::vector<AbiType> receipt_types_;  // getReceipt's outputs: the stored receipt record
};

}  // namespace lucid::chain
