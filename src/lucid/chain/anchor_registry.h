// AnchorRegistry (contracts/AnchorRegistry.abi.json; docs/chain.md): a session is anchored once, by
// whoever submits it (sessions-manifests, on behalf of the node named as owner); its chunks' leaf
// hashes may be added later by the same submitter, each index once and below the chunk count.
#pragma once

#include "lucid/chain/vm.h"

namespace lucid::chain {

class AnchorRegistry final : public Contract {
 public:
  AnchorRegistry();
  const ContractAbi& abi() const override { return abi_; }
  Result<std::vector<AbiValue>> call(const AbiFunction& function, const std::vector<AbiValue>& arguments,
                                     CallContext& context) const override;

  // The state key of a session's anchor record (below the contract's prefix), for proofs.
  static std::string anchor_key(std::span<const std::uint8_t> session_id);

  // The most leaf hashes one anchorChunks call may carry.
  static constexpr std::size_t kMaxChunksPerCall = 1024;

 private:
  Result<std::vector<AbiValue>> anchor(const std::vector<AbiValue>& arguments, CallContext& context) const;
  Result<std::vector<AbiValue>> anchor_chunks(const std::vector<AbiValue>& arguments,
                                              CallContext& context) const;
  Result<std::vector<AbiValue>> get_anchor(const std::vector<AbiValue>& arguments,
                                           CallContext& context) const;
  // The stored record of an anchored session (record_types_), or kNotFound naming it.
  Result<std::vector<AbiValue>> load_record(std::span<const std::uint8_t> session_id,
                                            CallContext& context) const;

  ContractAbi abi_;
  std::vector<AbiType> record_types_;  // the stored record: getAnchor's outputs, then the submitter
};

// The contract interface embedded from contracts/<name>.abi.json (the build guarantees it parses).
const ContractAbi& embedded_abi(std::string_view contract);

}  // namespace lucid::chain
