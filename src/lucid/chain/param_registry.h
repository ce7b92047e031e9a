// ParamRegistry (contracts/ParamRegistry.abi.json; docs/chain.md "Contracts"): the chain's bounded
// parameters. A built-in table fixes each one's name, default and bounds; the state holds only values
// Governance changed, so a parameter never written reads as its default (and genesis is empty).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lucid/chain/vm.h"

namespace lucid::chain {

// The parameters. Names are `bytes32` in the ABI: the ASCII name left-aligned and zero-padded, as
// ethers' encodeBytes32String and cast's --format-bytes32-string write it. Chosen over `string`
// because an indexed `string` event argument is only its keccak256 in a log (ParamChanged would not
// say which parameter changed without a lookup table), while an indexed bytes32 is the name itself,
// readable and filterable by every tool; bytes32 is also static (no offsets) and bounded.
enum class Param {
  kTimelockBlocks,           // blocks between a proposal's approval and its earliest execution
  kMaxTransactionsPerBlock,  // maxBlockTransactions: per block (block.h kMaxBlockTransactions is the hard
                             // cap)
  kGovernanceQuorumPercent,  // yes-votes, in percent of the governors, that approve a proposal
  kAnchorChunksPerCall,      // leaf hashes per AnchorRegistry.anchorChunks call
};

struct ParamSpec {
  Param param = Param::kTimelockBlocks;
  std::string_view name;  // "timelockBlocks": the ABI name and the state key
  std::uint64_t default_value = 0;
  std::uint64_t min = 0;  // inclusive bounds; the default lies within them
  std::uint64_t max = 0;
};

// The built-in table, in the order ParamRegistry.names() lists it.
std::span<const ParamSpec> param_specs();
const ParamSpec& param_spec(Param param);
std::string_view to_string(Param param);
std::optional<Param> parse_param(std::string_view name);

// A name's bytes32 form, and back: nullopt unless `word` is a table name followed by zero bytes only.
Bytes param_name_word(Param param);
std::optional<Param> param_from_name_word(std::span<const std::uint8_t> word);
// A bytes32 name as errors show it: its text if printable ASCII followed by zeros, else 0x hex.
std::string describe_param_name(std::span<const std::uint8_t> word);

// Refuses (kInvalidArgument, naming the parameter and its bounds) a value outside [min, max]. The
// uint256 form refuses anything above 2^64 - 1 the same way. Governance checks a proposal with it at
// submission and again at execution.
Status check_param_value(Param param, std::uint64_t value);
Result<std::uint64_t> check_param_value(Param param, const AbiWord& value);

struct ParamReading {
  std::uint64_t value = 0;
  std::uint64_t since_height = 0;  // the height Governance last wrote it; 0: the default, since genesis
};

// The effective value of `param` in `state`: the last one Governance wrote, else the default. What the
// rest of the chain (block size, timelock, anchors per call) reads. kCorrupt only if the stored entry
// does not decode, which only a damaged state can hold.
Result<std::uint64_t> param_value(const State& state, Param param);
Result<ParamReading> param_reading(const State& state, Param param);

class ParamRegistry final : public Contract {
 public:
  ParamRegistry();
  const ContractAbi& abi() const override { return abi_; }
  // get and names read; set reverts for every transaction: only Governance writes, through write().
  Result<std::vector<AbiValue>> call(const AbiFunction& function, const std::vector<AbiValue>& arguments,
                                     CallContext& context) const override;

  // Inside a call of any contract, charging that call's gas: the reading of `param`.
  static Result<ParamReading> read(CallContext& context, Param param);
  // Inside a call of any contract (Governance's execute): checks the bounds, stores the value at the
  // call's height and emits ParamRegistry's ParamChanged, all part of that call (reverted with it).
  static Status write(CallContext& context, Param param, std::uint64_t value);

  // The state key of a changed parameter below the contract's prefix ("param/<name>"), for proofs.
  static std::string param_key(Param param);

 private:
  Result<std::vector<AbiValue>> get(const std::vector<AbiValue>& arguments, CallContext& context) const;

  ContractAbi abi_;
};

}  // namespace lucid::chain
