// A contract's interface in the Solidity JSON ABI format (what solc emits and ethers, web3 and every
// other standard tool read): its functions with their 4-byte selectors, its events with their
// topics, and calls and logs encoded and decoded against them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/chain/abi_type.h"
#include "lucid/chain/abi_value.h"
#include "lucid/chain/keccak.h"

namespace lucid::chain {

struct AbiParam {
  std::string name;
  AbiType type;
  bool indexed = false;  // events only
};

using Selector = std::array<std::uint8_t, 4>;

struct AbiFunction {
  std::string name;
  std::vector<AbiParam> inputs;
  std::vector<AbiParam> outputs;
  std::string state_mutability;  // "view", "pure", "nonpayable"

  std::string signature() const;  // "anchor(bytes16,bytes32,...)"
  Selector selector() const;      // the first 4 bytes of keccak256(signature())
};

struct AbiEvent {
  std::string name;
  std::vector<AbiParam> inputs;
  bool anonymous = false;

  std::string signature() const;
  Keccak256 topic() const;  // keccak256(signature()): topics[0] of a non-anonymous event
};

// What a call emits: topics[0] is the event's topic, then one per indexed argument; `data` is the ABI
// encoding of the non-indexed arguments.
struct EventLog {
  std::vector<Keccak256> topics;
  std::vector<std::uint8_t> data;
};

struct ContractAbi {
  std::string name;
  std::vector<AbiFunction> functions;
  std::vector<AbiEvent> events;

  const AbiFunction* function(std::string_view name) const;
  const AbiFunction* function(const Selector& selector) const;
  const AbiEvent* event(std::string_view name) const;
  const AbiEvent* event(const Keccak256& topic) const;
};

// Parses a JSON ABI (an array of fragments). `source` names the file in errors. Refused: unknown
// types, duplicate names (Lucid's contracts do not overload), two functions with one selector, more
// than three indexed event arguments, indexed arrays or tuples (their topic would be a hash that
// tools disagree on). Fragments of other kinds (constructor, error, fallback) are kept out.
Result<ContractAbi> parse_contract_abi(std::string_view json_text, std::string_view source);

// selector ‖ abi_encode(inputs).
Result<std::vector<std::uint8_t>> encode_call(const AbiFunction& function,
                                              std::span<const AbiValue> arguments);
// Checks the selector, then abi_decode(inputs) of the rest.
Result<std::vector<AbiValue>> decode_call(const AbiFunction& function,
                                          std::span<const std::uint8_t> calldata);
// abi_decode(outputs) of what a call returned.
Result<std::vector<AbiValue>> decode_output(const AbiFunction& function,
                                            std::span<const std::uint8_t> output);

Result<EventLog> encode_event(const AbiEvent& event, std::span<const AbiValue> arguments);
// The arguments in declaration order. An indexed string or bytes argument is only present as its
// keccak256 in the log, so it decodes to that hash (32 bytes) instead of its value.
Result<std::vector<AbiValue>> decode_event(const AbiEvent& event, const EventLog& log);

}  // namespace lucid::chain
