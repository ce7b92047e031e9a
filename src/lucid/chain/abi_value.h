// Values of Solidity ABI types, and their JSON form (the form of the chain's HTTP API and of the
// ethers-made vectors): integers as decimal strings, addresses and bytes as 0x-prefixed lower-case
// hex, booleans, strings, and arrays/tuples as JSON arrays.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/chain/abi_type.h"

namespace lucid::chain {

// One 32-byte ABI word, big-endian. Integers are stored two's complement, sign-extended to 256 bits.
using AbiWord = std::array<std::uint8_t, 32>;

struct AbiValue {
  // AbiWord: uintN, intN, address. bool: bool. bytes: bytesN (exactly N bytes), bytes. string:
  // string (UTF-8). vector: T[], T[k], tuples.
  std::variant<AbiWord, bool, std::vector<std::uint8_t>, std::string, std::vector<AbiValue>> value;

  static AbiValue uint(std::uint64_t number);
  static AbiValue word(const AbiWord& word);
  static AbiValue boolean(bool flag);
  static AbiValue bytes(std::vector<std::uint8_t> data);
  static AbiValue text(std::string utf8);
  static AbiValue list(std::vector<AbiValue> items);

  bool operator==(const AbiValue&) const = default;
};

// Checks that `value` has the shape and range of `type` (the encoder's precondition): an integer that
// fits N bits (signed or not), an address with its 12 high bytes zero, bytesN of exactly N bytes,
// valid UTF-8 for strings, the right number of items. The message names the path ("[2].amount").
Status check_value(const AbiType& type, const AbiValue& value);

// Decimal text of an unsigned or (for signed types) two's complement word.
std::string word_to_decimal(const AbiWord& word, bool is_signed);
// Parses "-?[0-9]+" into a word; refuses values outside [-2^255, 2^256-1] (callers check the type's
// own range with check_value).
Result<AbiWord> word_from_decimal(std::string_view text);

// Parses and checks (check_value) a value given in the JSON form above.
Result<AbiValue> value_from_json(const AbiType& type, const nlohmann::json& json);
// The JSON form of a value that passed check_value for `type`.
nlohmann::json value_to_json(const AbiType& type, const AbiValue& value);

}  // namespace lucid::chain
