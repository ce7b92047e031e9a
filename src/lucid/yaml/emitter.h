// Writes deterministic block-style YAML: from JSON (object keys in the JSON's order, which for
// nlohmann::json is sorted) or from a Node tree (document order). Output reloads to the same value.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "lucid/yaml/node.h"

namespace lucid::yaml {

std::string emit(const nlohmann::json& value);
std::string emit(const Node& node);

// How a string must be written to read back as that same string (plain when safe, else quoted).
std::string quote_if_needed(const std::string& s);

}  // namespace lucid::yaml
