// age's ASCII armor: strict PEM (RFC 7468 §3) with label "AGE ENCRYPTED FILE", padded base64 in
// 64-column lines, no headers; only whitespace around the block and CRLF line ends are tolerated.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::crypto {

inline constexpr std::string_view kAgeArmorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
inline constexpr std::string_view kAgeArmorEnd = "-----END AGE ENCRYPTED FILE-----";

// BEGIN line, 64-column lines of padded base64, END line, each ending in LF.
std::string age_armor(std::span<const std::uint8_t> binary);

// The binary age file inside the armor. Errors are "age: armor failure: …" and name the line.
Result<std::vector<std::uint8_t>> age_dearmor(std::span<const std::uint8_t> text);

// True when `file` is meant as armor rather than a binary age file: it does not start with
// "age-encryption.org/" and, after leading whitespace, starts with "-----" or contains "BEGIN AGE
// ENCRYPTED FILE" (so that a damaged or wrapped armored file is an armor failure, not a header one).
bool age_is_armored(std::span<const std::uint8_t> file);

}  // namespace lucid::crypto
