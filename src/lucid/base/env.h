// Configuration from the environment, as the services read it (a cluster's .env reaches them there).
#pragma once

#include <string>

namespace lucid {

// The value of environment variable `name`, or `fallback` when it is unset or empty.
std::string env_or(const char* name, std::string fallback);

}  // namespace lucid
