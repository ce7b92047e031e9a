// RFC 4648 §4 standard base64, padded or unpadded, and §5 base64url without padding (JWS, JWK), with
// strict decoding: no whitespace, no characters outside the alphabet, padding exactly as asked and
// (by default, and always for base64url) canonical trailing bits.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid {

struct Base64Options {
  // true: the text length is a multiple of 4 with '=' padding (RFC 4648 §4). false: no '=' at all
  // (age's "raw" base64); a length of 1 mod 4 is still refused.
  bool padded = true;
  // true: the unused low bits of the last character must be zero (RFC 4648 §3.5), so each byte
  // string has exactly one accepted encoding. age requires this everywhere.
  bool canonical = true;
};

std::string base64_encode(std::span<const std::uint8_t> bytes, Base64Options options = {});

// Decodes `text` under `options`; kInvalidArgument naming the position of the first bad character.
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text, Base64Options options = {});

// RFC 4648 §5 base64url ('-' and '_' for '+' and '/') without '=' padding, as JWS and JWK use it.
std::string base64url_encode(std::span<const std::uint8_t> bytes);

// Strict: refuses '=', '+', '/', whitespace or any other character outside the alphabet, a length of
// 1 mod 4 and non-zero unused bits in the last character, so each byte string has exactly one
// accepted text. kInvalidArgument naming the position of the first bad character.
Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

// The number of bytes `chars` base64 characters (without padding) decode to.
constexpr std::size_t base64_decoded_size(std::size_t chars) {
  return chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1);
}

}  // namespace lucid
