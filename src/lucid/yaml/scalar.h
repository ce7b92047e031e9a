// YAML 1.1 implicit typing exactly as PyYAML's SafeLoader resolves and constructs it (what
// docker-compose 1.29 sees): `yes/no/on/off` are booleans, `0777` is octal, `1:30` is base 60.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/yaml/node.h"

namespace lucid::yaml {

enum class ScalarType { kNull, kBool, kInt, kFloat, kString, kTimestamp, kMerge, kValue };

// The implicit type of a plain, untagged scalar with this text (PyYAML's Resolver).
ScalarType resolve_plain(std::string_view text);
// The type a scalar node gets: its explicit tag if any, else implicit typing for plain scalars,
// else string (quoted and block scalars are always strings).
ScalarType resolve_scalar(const Node& scalar);

// The value PyYAML's safe_load would build, as JSON: ints as int64 (doubles beyond), timestamps
// as their text, mapping keys as their scalar text. Errors as safe_load does (unknown tag, `=`,
// non-scalar keys), with "file:line:col: " in front.
Result<nlohmann::json> to_json(const Node& node);
// A single scalar's value (see to_json).
Result<nlohmann::json> scalar_to_json(const Node& scalar);

}  // namespace lucid::yaml
