// Small text helpers written once: ASCII trimming and case folding, UTF-8 validity, and URL
// percent-encoding.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid {

// Without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s);

// Splits "ops, chain,wallet" at commas into trimmed, non-empty items (flag and environment lists).
std::vector<std::string> split_comma_list(std::string_view text);

// ASCII lower case; bytes outside A–Z are kept as they are (UTF-8 stays intact).
std::string lower(std::string_view s);

// Whether `s` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequence.
bool is_valid_utf8(std::string_view s);

// RFC 3986 percent-encoding of everything but the unreserved characters (A–Z a–z 0–9 - . _ ~):
// safe for a query value or a path segment.
std::string percent_encode(std::string_view s);

// The inverse: every "%XY" (two hex digits, either case) becomes its byte; anything else is kept
// ('+' included). A '%' without two hex digits after it is an error naming it.
Result<std::string> percent_decode(std::string_view s);

}  // namespace lucid
