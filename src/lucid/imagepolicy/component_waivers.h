// Waivers for must-include components of the inclusion matrix (policies/waivers.yaml `components:`):
// a container, a component id, a reason and an expiry date. An expired one no longer applies.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::imagepolicy {

struct ComponentWaiver {
  std::string container;  // inclusion-matrix row ("node-worker")
  std::string component;  // component id ("xrdp")
  std::string reason;
  std::string expires;  // YYYY-MM-DD; applies through that day
  std::string where;    // "waivers.yaml:20:5"
};

// Reads the optional `components:` list beside `waivers:`. kInvalidArgument naming file:line for a
// missing field or a bad date. A file without the key yields an empty list.
Result<std::vector<ComponentWaiver>> parse_component_waivers(std::string_view yaml_text,
                                                             const std::string& file);
Result<std::vector<ComponentWaiver>> load_component_waivers(const std::filesystem::path& path);

// The waiver for (container, component), or nullptr.
const ComponentWaiver* find_component_waiver(const std::vector<ComponentWaiver>& waivers,
                                             std::string_view container, std::string_view component);

}  // namespace lucid::imagepolicy
