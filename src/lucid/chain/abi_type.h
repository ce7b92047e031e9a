// Solidity ABI types (https://docs.soliditylang.org/en/latest/abi-spec.html): the parsed form of a
// type string such as "uint256", "bytes32", "(address,string)[]", with its canonical spelling (what
// selectors and event topics hash) and whether it is dynamic (encoded behind an offset).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::chain {

struct AbiType {
  enum class Kind { kUint, kInt, kAddress, kBool, kFixedBytes, kBytes, kString, kArray, kFixedArray, kTuple };

  Kind kind = Kind::kUint;
  // Bits for kUint/kInt (8..256, a multiple of 8); bytes for kFixedBytes (1..32); the length of a
  // kFixedArray (≥ 1). Unused otherwise.
  std::size_t size = 256;
  // kArray/kFixedArray: exactly one, the element type. kTuple: the members in order (≥ 1).
  std::vector<AbiType> components;

  bool is_dynamic() const;
  // Bytes this type takes in the head of an enclosing tuple: 32 for a dynamic type (its offset),
  // the whole in-place encoding for a static one.
  std::size_t head_size() const;
  // "uint256", "bytes", "(uint8,string)[2]": the spelling signatures hash ("uint" and "int" are
  // written as "uint256" and "int256").
  std::string canonical() const;
};

// Parses a type string. Aliases "uint"/"int" mean 256 bits. Refused: sizes outside the ABI's ranges,
// zero-length fixed arrays, empty tuples, nesting deeper than kMaxAbiNesting, anything else.
inline constexpr int kMaxAbiNesting = 8;
Result<AbiType> parse_abi_type(std::string_view text);

}  // namespace lucid::chain
