// The Solidity ABI encoding of a list of values (a tuple: the arguments of a call, the return values,
// an event's non-indexed data), and its strict decoding.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/chain/abi_type.h"
#include "lucid/chain/abi_value.h"

namespace lucid::chain {

// Encodes `values` as the tuple (types...). Each value is checked against its type first.
Result<std::vector<std::uint8_t>> abi_encode(std::span<const AbiType> types,
                                             std::span<const AbiValue> values);

// Decodes the tuple (types...) from `data`. Strict: only the canonical encoding is accepted — the
// one abi_encode produces, byte for byte (padding zero, integers in range, bools 0 or 1, offsets
// where the encoder puts them, no trailing bytes). A chain must not accept two encodings of one
// call. Lengths are checked against the data before anything is allocated.
Result<std::vector<AbiValue>> abi_decode(std::span<const AbiType> types, std::span<const std::uint8_t> data);

}  // namespace lucid::chain
