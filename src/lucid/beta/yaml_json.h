// Reads a single YAML document (via libyaml) into JSON: mappings, sequences and scalars; scalars
// stay strings except plain true/false. Anchors, aliases and tags are refused.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid::beta {

Result<nlohmann::json> yaml_to_json(std::string_view text);

}  // namespace lucid::beta
