// RFC 8785 JSON Canonicalization Scheme (JCS) for the documents Lucid signs and hashes.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid {

// Serialises `value` as RFC 8785 canonical JSON: object members sorted by their UTF-16 code
// units, no insignificant whitespace, minimal string escapes. Numbers must be integers within
// ±2^53 (what an IEEE double holds exactly); Lucid's signed formats use no fractions, so any other
// number is refused rather than risk a serialisation that another JCS implementation would not match.
Result<std::string> canonical_json(const nlohmann::json& value);

}  // namespace lucid
