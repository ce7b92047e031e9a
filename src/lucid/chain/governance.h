// Governance (contracts/Governance.abi.json; docs/chain.md "Contracts"): the governors (the chain's
// validator set, which the Vm is given) propose ParamRegistry values within their bounds and vote once
// each; an approved proposal is executed by anyone once its timelock has passed, into ParamRegistry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lucid/chain/param_registry.h"
#include "lucid/chain/vm.h"

namespace lucid::chain {

// A proposal's status (getProposal's uint8). Pending: open for votes. Approved: the yes-votes reached
// the quorum; executable from its earliest execution height. Executed: its value was written.
// Rejected: so many governors voted no that the yes-votes can no longer reach the quorum. Proposals
// do not expire and cannot be cancelled: a pending one stays open until approved or rejected.
enum class ProposalStatus : std::uint8_t { kPending = 0, kApproved = 1, kExecuted = 2, kRejected = 3 };
std::string_view to_string(ProposalStatus status);
// The inverse of to_string ("pending", "approved", "executed", "rejected"); nullopt for anything else.
std::optional<ProposalStatus> parse_proposal_status(std::string_view text);

struct Proposal {
  Param param = Param::kTimelockBlocks;
  std::uint64_t value = 0;
  ProposalStatus status = ProposalStatus::kPending;
  std::uint64_t yes_votes = 0;
  std::uint64_t no_votes = 0;
  crypto::Ed25519PublicKey proposer{};
  std::uint64_t proposed_height = 0;
  std::uint64_t approval_height = 0;            // 0 until approved
  std::uint64_t earliest_execution_height = 0;  // approval height + timelockBlocks then; 0 until approved
};

// The stored record (docs/formats.md "Data chain: state root"): the ABI encoding of getProposal's
// outputs, with uint64 integers.
Bytes encode_proposal(const Proposal& proposal);
Result<Proposal> decode_proposal(std::span<const std::uint8_t> record);

// Yes-votes that approve a proposal among `governors` at `percent` (governanceQuorumPercent): the
// fewest whose share of the governors, in whole percent rounded up, reaches `percent`, i.e. the
// smallest y with 100·y > (percent − 1)·governors. At 67: 2 of 3, 3 of 4, 4 of 5, 5 of 7; at 51 a
// strict majority; at 100 all of them.
std::uint64_t governance_quorum(std::uint64_t governors, std::uint64_t percent);

// Proposal `id` in `state` (ids start at 1); kNotFound when there is none.
Result<Proposal> read_proposal(const State& state, std::uint64_t id);
// The number of proposals in `state` (proposalCount): ids run from 1 to it.
Result<std::uint64_t> proposal_count(const State& state);

class Governance final : public Contract {
 public:
  Governance();
  const ContractAbi& abi() const override { return abi_; }
  Result<std::vector<AbiValue>> call(const AbiFunction& function, const std::vector<AbiValue>& arguments,
                                     CallContext& context) const override;

  // State keys below the contract's prefix: "count" (the number of proposals), "proposal/<id, 16
  // hex>" (encode_proposal) and "vote/<id, 16 hex>/<governor hex>" (ABI bool: the vote's support).
  static std::string proposal_key(std::uint64_t id);
  static std::string vote_key(std::uint64_t id, const crypto::Ed25519PublicKey& governor);
  static constexpr std::string_view kCountKey = "count";

 private:
  Result<std::vector<AbiValue>> propose(const std::vector<AbiValue>& arguments, CallContext& context) const;
  Result<std::vector<AbiValue>> vote(const std::vector<AbiValue>& arguments, CallContext& context) const;
  Result<std::vector<AbiValue>> execute(const std::vector<AbiValue>& arguments, CallContext& context) const;
  Result<std::vector<AbiValue>> get_proposal(const std::vector<AbiValue>& arguments,
                                             CallContext& context) const;
  // The proposal whose uint256 id is `id`, its id as a number, or kNotFound naming it.
  Result<std::pair<std::uint64_t, Proposal>> load(const AbiValue& id, CallContext& context) const;
  Status store(std::uint64_t id, const Proposal& proposal, CallContext& context) const;

  ContractAbi abi_;
};

}  // namespace lucid::chain
