// Lower-case hexadecimal encoding and strict decoding.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid {

std::string to_hex(std::span<const std::uint8_t> bytes);
// Accepts upper or lower case; rejects odd length and non-hex characters.
Result<std::vector<std::uint8_t>> from_hex(std::string_view text);
// Decodes exactly out.size() bytes into `out`; fails on any other length.
Status from_hex_into(std::string_view text, std::span<std::uint8_t> out);

}  // namespace lucid
