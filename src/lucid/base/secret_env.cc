#include "lucid/base/secret_env.h"

#include <cstdlib>
#include <cstring>

#include "lucid/base/secret.h"

namespace lucid {

std::optional<std::string> take_secret_env(const char* name) {
  char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  std::string out(value);
  // getenv points into the "NAME=value" string itself: wipe the value in place before unsetenv
  // drops the pointer (it never frees or clears the string).
  secure_zero(value, std::strlen(value));
  ::unsetenv(name);
  return out;
}

}  // namespace lucid
