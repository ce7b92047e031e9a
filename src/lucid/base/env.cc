#include "lucid/base/env.h"

#include <cstdlib>
#include <utility>

namespace lucid {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

}  // namespace lucid
