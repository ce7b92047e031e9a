#include "lucid/chain/governance.h"

#include <fmt/format.h>

#include <algorithm>

#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"

namespace lucid::chain {
namespace {

constexpr std::string_view kContract = "Governance";

std::vector<AbiType> types_of(const std::vector<AbiParam>& params) {
  std::vector<AbiType> types;
  types.reserve(params.size());
  for (const AbiParam& param : params) {
    types.push_back(param.type);
  }
  return types;
}

// The stored record: getProposal's outputs, with uint64 where the interface says uint256.
const std::vector<AbiType>& record_types() {
  static const std::vector<AbiType> types = [] {
    std::vector<AbiType> out;
    for (const char* text :
         {"bytes32", "uint64", "uint8", "uint64", "uint64", "bytes32", "uint64", "uint64", "uint64"}) {
      out.push_back(parse_abi_type(text).value());
    }
    return out;
  }();
  return types;
}

const std::vector<AbiType>& vote_types() {
  static const std::vector<AbiType> types{parse_abi_type("bool").value()};
  return types;
}

// The value of a uint word if it fits 64 bits.
std::optional<std::uint64_t> word_u64(const AbiValue& value) {
  const auto& word = std::get<AbiWord>(value.value);
  if (std::any_of(word.begin(), word.begin() + 24, [](std::uint8_t b) { return b != 0; })) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  for (std::size_t i = 24; i < 32; ++i) {
    n = (n << 8) | word[i];
  }
  return n;
}

Bytes key_bytes(const crypto::Ed25519PublicKey& key) {
  return {key.begin(), key.end()};
}

Status need_governor(const CallContext& context, std::string_view action) {
  crypto::Ed25519PublicKey sender = *context.sender();
  if (!context.is_governor(sender)) {
    return fail(ErrorKind::kAuthentication,
                fmt::format("only a governor (one of the chain's {} validators) may {}; {} is not one",
                            context.governors().size(), action, to_hex(sender)));
  }
  return {};
}

std::vector<AbiValue> proposal_values(const Proposal& p) {
  return {AbiValue::bytes(param_name_word(p.param)),
          AbiValue::uint(p.value),
          AbiValue::uint(static_cast<std::uint8_t>(p.status)),
          AbiValue::uint(p.yes_votes),
          AbiValue::uint(p.no_votes),
          AbiValue::bytes(key_bytes(p.proposer)),
          AbiValue::uint(p.proposed_height),
          AbiValue::uint(p.approval_height),
          AbiValue::uint(p.earliest_execution_height)};
}

}  // namespace

std::string_view to_string(ProposalStatus status) {
  switch (status) {
    case ProposalStatus::kPending:
      return "pending";
    case ProposalStatus::kApproved:
      return "approved";
    case ProposalStatus::kExecuted:
      return "executed";
    case ProposalStatus::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::optional<ProposalStatus> parse_proposal_status(std::string_view text) {
  for (ProposalStatus status : {ProposalStatus::kPending, ProposalStatus::kApproved,
                                ProposalStatus::kExecuted, ProposalStatus::kRejected}) {
    if (to_string(status) == text) {
      return status;
    }
  }
  return std::nullopt;
}

Bytes encode_proposal(const Proposal& proposal) {
  // Every value is within its type by construction, so the encoder cannot refuse it.
  return abi_encode(record_types(), proposal_values(proposal)).value();
}

Result<Proposal> decode_proposal(std::span<const std::uint8_t> record) {
  auto values = abi_decode(record_types(), record);
  if (!values) {
    return std::unexpected(values.error());
  }
  const auto& v = *values;
  auto param = param_from_name_word(std::get<Bytes>(v[0].value));
  if (!param) {
    return fail(ErrorKind::kCorrupt, fmt::format("a proposal names no parameter ({})",
                                                 describe_param_name(std::get<Bytes>(v[0].value))));
  }
  std::uint64_t status = *word_u64(v[2]);
  if (status > static_cast<std::uint64_t>(ProposalStatus::kRejected)) {
    return fail(ErrorKind::kCorrupt, fmt::format("a proposal has status {}", status));
  }
  Proposal p;
  p.param = *param;
  p.value = *word_u64(v[1]);
  p.status = static_cast<ProposalStatus>(status);
  p.yes_votes = *word_u64(v[3]);
  p.no_votes = *word_u64(v[4]);
  const auto& proposer = std::get<Bytes>(v[5].value);
  std::copy(proposer.begin(), proposer.end(), p.proposer.begin());
  p.proposed_height = *word_u64(v[6]);
  p.approval_height = *word_u64(v[7]);
  p.earliest_execution_height = *word_u64(v[8]);
  return p;
}

std::uint64_t governance_quorum(std::uint64_t governors, std::uint64_t percent) {
  if (percent == 0) {
    return 0;
  }
  return (percent - 1) * governors / 100 + 1;
}

Result<Proposal> read_proposal(const State& state, std::uint64_t id) {
  auto stored = state.get(fmt::format("{}/{}", kContract, Governance::proposal_key(id)));
  if (!stored) {
    return fail(ErrorKind::kNotFound, fmt::format("no proposal {}", id));
  }
  return decode_proposal(*stored);
}

Result<std::uint64_t> proposal_count(const State& state) {
  auto stored = state.get(fmt::format("{}/{}", kContract, Governance::kCountKey));
  if (!stored) {
    return 0;
  }
  static const std::vector<AbiType> count_type{parse_abi_type("uint256").value()};
  auto count = abi_decode(count_type, *stored);
  if (!count) {
    return fail(ErrorKind::kCorrupt, fmt::format("state entry {}/{}: {}", kContract, Governance::kCountKey,
                                                 count.error().message));
  }
  auto number = word_u64((*count)[0]);
  if (!number) {
    return fail(ErrorKind::kCorrupt,
                fmt::format("state entry {}/{} exceeds 64 bits", kContract, Governance::kCountKey));
  }
  return *number;
}

Governance::Governance() : abi_(embedded_abi(kContract)) {}

std::string Governance::proposal_key(std::uint64_t id) {
  return fmt::format("proposal/{:016x}", id);
}

std::string Governance::vote_key(std::uint64_t id, const crypto::Ed25519PublicKey& governor) {
  return fmt::format("vote/{:016x}/{}", id, to_hex(governor));
}

Result<std::vector<AbiValue>> Governance::call(const AbiFunction& function,
                                               const std::vector<AbiValue>& arguments,
                                               CallContext& context) const {
  if (function.name == "propose") {
    return propose(arguments, context);
  }
  if (function.name == "vote") {
    return vote(arguments, context);
  }
  if (function.name == "execute") {
    return execute(arguments, context);
  }
  if (function.name == "getProposal") {
    return get_proposal(arguments, context);
  }
  if (function.name == "proposalCount") {
    auto count = context.load(std::string(kCountKey));
    if (!count) {
      return std::unexpected(count.error());
    }
    if (!count->has_value()) {
      return std::vector<AbiValue>{AbiValue::uint(0)};
    }
    return abi_decode(types_of(function.outputs), **count);
  }
  if (function.name == "governors") {
    std::vector<AbiValue> keys;
    for (const auto& governor : context.governors()) {
      keys.push_back(AbiValue::bytes(key_bytes(governor)));
    }
    return std::vector<AbiValue>{AbiValue::list(std::move(keys))};
  }
  return fail(ErrorKind::kNotFound, fmt::format("Governance has no function {}", function.name));
}

Result<std::pair<std::uint64_t, Proposal>> Governance::load(const AbiValue& id, CallContext& context) const {
  auto number = word_u64(id);
  if (!number) {
    return fail(ErrorKind::kNotFound,
                fmt::format("no proposal {}", word_to_decimal(std::get<AbiWord>(id.value), false)));
  }
  auto stored = context.load(proposal_key(*number));
  if (!stored) {
    return std::unexpected(stored.error());
  }
  if (!stored->has_value()) {
    return fail(ErrorKind::kNotFound, fmt::format("no proposal {}", *number));
  }
  auto proposal = decode_proposal(**stored);
  if (!proposal) {
    return std::unexpected(with_context(fmt::format("proposal {}", *number), proposal.error()));
  }
  return std::pair{*number, *proposal};
}

Status Governance::store(std::uint64_t id, const Proposal& proposal, CallContext& context) const {
  return context.store(proposal_key(id), encode_proposal(proposal));
}

// propose(name, value) -> id
Result<std::vector<AbiValue>> Governance::propose(const std::vector<AbiValue>& arguments,
                                                  CallContext& context) const {
  if (auto ok = need_governor(context, "propose"); !ok) {
    return std::unexpected(ok.error());
  }
  const auto& name = std::get<Bytes>(arguments[0].value);
  auto param = param_from_name_word(name);
  if (!param) {
    return fail(ErrorKind::kNotFound,
                fmt::format("proposal refused: no parameter named {}", describe_param_name(name)));
  }
  auto value = check_param_value(*param, std::get<AbiWord>(arguments[1].value));
  if (!value) {
    return std::unexpected(with_context("proposal refused", value.error()));
  }
  auto count_record = context.load(std::string(kCountKey));
  if (!count_record) {
    return std::unexpected(count_record.error());
  }
  std::uint64_t id = 1;
  if (count_record->has_value()) {
    auto count = abi_decode(types_of(abi_.function("proposalCount")->outputs), **count_record);
    if (!count) {
      return std::unexpected(with_context("proposal count", count.error()));
    }
    id = *word_u64((*count)[0]) + 1;
  }
  auto encoded_count = abi_encode(types_of(abi_.function("proposalCount")->outputs),
                                  std::vector<AbiValue>{AbiValue::uint(id)});
  if (!encoded_count) {
    return std::unexpected(encoded_count.error());
  }
  if (auto ok = context.store(std::string(kCountKey), std::move(*encoded_count)); !ok) {
    return std::unexpected(ok.error());
  }
  Proposal proposal;
  proposal.param = *param;
  proposal.value = *value;
  proposal.proposer = *context.sender();
  proposal.proposed_height = context.height();
  if (auto ok = store(id, proposal, context); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = context.emit(*abi_.event("Proposed"),
                             {AbiValue::uint(id), arguments[0], AbiValue::bytes(key_bytes(proposal.proposer)),
                              AbiValue::uint(*value)});
      !ok) {
    return std::unexpected(ok.error());
  }
  return std::vector<AbiValue>{AbiValue::uint(id)};
}

// vote(id, support)
Result<std::vector<AbiValue>> Governance::vote(const std::vector<AbiValue>& arguments,
                                               CallContext& context) const {
  if (auto ok = need_governor(context, "vote"); !ok) {
    return std::unexpected(ok.error());
  }
  auto loaded = load(arguments[0], context);
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  auto& [id, proposal] = *loaded;
  if (proposal.status != ProposalStatus::kPending) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("proposal {} is {}: voting is closed", id, to_string(proposal.status)));
  }
  crypto::Ed25519PublicKey voter = *context.sender();
  std::string key = vote_key(id, voter);
  auto earlier = context.load(key);
  if (!earlier) {
    return std::unexpected(earlier.error());
  }
  if (earlier->has_value()) {
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("governor {} already voted on proposal {}", to_hex(voter), id));
  }
  bool support = std::get<bool>(arguments[1].value);
  auto ballot = abi_encode(vote_types(), std::vector<AbiValue>{AbiValue::boolean(support)});
  if (!ballot) {
    return std::unexpected(ballot.error());
  }
  if (auto ok = context.store(key, std::move(*ballot)); !ok) {
    return std::unexpected(ok.error());
  }
  ++(support ? proposal.yes_votes : proposal.no_votes);

  auto percent = ParamRegistry::read(context, Param::kGovernanceQuorumPercent);
  if (!percent) {
    return std::unexpected(percent.error());
  }
  std::uint64_t governors = context.governors().size();
  std::uint64_t quorum = governance_quorum(governors, percent->value);
  const AbiEvent* outcome = nullptr;
  std::vector<AbiValue> outcome_arguments{AbiValue::uint(id), AbiValue::uint(context.height())};
  if (proposal.yes_votes >= quorum) {
    auto timelock = ParamRegistry::read(context, Param::kTimelockBlocks);
    if (!timelock) {
      return std::unexpected(timelock.error());
    }
    proposal.status = ProposalStatus::kApproved;
    proposal.approval_height = context.height();
    proposal.earliest_execution_height = context.height() + timelock->value;
    outcome = abi_.event("Approved");
    outcome_arguments.push_back(AbiValue::uint(proposal.earliest_execution_height));
  } else if (proposal.no_votes > governors - std::min(governors, quorum)) {
    proposal.status = ProposalStatus::kRejected;
    outcome = abi_.event("Rejected");
  }
  if (auto ok = store(id, proposal, context); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = context.emit(*abi_.event("Voted"),
                             {arguments[0], AbiValue::bytes(key_bytes(voter)), AbiValue::boolean(support),
                              AbiValue::uint(proposal.yes_votes), AbiValue::uint(proposal.no_votes)});
      !ok) {
    return std::unexpected(ok.error());
  }
  if (outcome != nullptr) {
    if (auto ok = context.emit(*outcome, outcome_arguments); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return std::vector<AbiValue>{};
}

// execute(id): by anyone, once approved and from its earliest execution height on.
Result<std::vector<AbiValue>> Governance::execute(const std::vector<AbiValue>& arguments,
                                                  CallContext& context) const {
  auto loaded = load(arguments[0], context);
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  auto& [id, proposal] = *loaded;
  if (proposal.status != ProposalStatus::kApproved) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("proposal {} is {}: only an approved proposal is executed", id,
                            to_string(proposal.status)));
  }
  if (context.height() < proposal.earliest_execution_height) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("proposal {} is timelocked until height {} (this is height {})", id,
                            proposal.earliest_execution_height, context.height()));
  }
  // write() checks the bounds again: the value was within them at submission, and is written only
  // if it still is.
  if (auto ok = ParamRegistry::write(context, proposal.param, proposal.value); !ok) {
    return std::unexpected(with_context(fmt::format("proposal {} refused at execution", id), ok.error()));
  }
  proposal.status = ProposalStatus::kExecuted;
  if (auto ok = store(id, proposal, context); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = context.emit(*abi_.event("Executed"),
                             {arguments[0], AbiValue::bytes(param_name_word(proposal.param)),
                              AbiValue::uint(proposal.value), AbiValue::uint(context.height())});
      !ok) {
    return std::unexpected(ok.error());
  }
  return std::vector<AbiValue>{};
}

// getProposal(id) -> (name, value, status, yesVotes, noVotes, proposer, proposedHeight, approvalHeight,
// earliestExecutionHeight)
Result<std::vector<AbiValue>> Governance::get_proposal(const std::vector<AbiValue>& arguments,
                                                       CallContext& context) const {
  auto loaded = load(arguments[0], context);
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  return proposal_values(loaded->second);
}

}  // namespace lucid::chain
