// The shapes docker-compose 1.29's `config` writes a service in (maps for environment, labels,
// depends_on and networks; long-form ports; absolute bind paths; canonical durations).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/render/interpolate.h"

namespace lucid::render {

// Normalises one interpolated service in place. `env` resolves `environment: [KEY]` entries
// without a value; `project_dir` makes relative bind sources absolute.
Status normalize_service(const std::string& name, nlohmann::json& service, const Environment& env,
                         const std::filesystem::path& project_dir);

// "1m30s" → "90s", "1500ms" stays (1.29's serialize_ns_time_value); unparsable text is returned as is.
std::string canonical_duration(const std::string& text);

// Compose's type conversions after interpolation (read_only: "yes" → true, ports target → int, …).
Status convert_types(const std::string& section, nlohmann::json& value);

}  // namespace lucid::render
