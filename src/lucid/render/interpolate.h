// Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`,
// `$$`, and in the Compose-spec dialect also `${VAR:+r}`, `${VAR+r}` and nested templates.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "lucid/base/result.h"

namespace lucid::render {

enum class Dialect {
  kCompose129,   // docker-compose 1.29 (Python string.Template): no `+`/`:+`, defaults are literal
                 // text up to the first `}`, a lone `$` is an error. What `render` uses.
  kComposeSpec,  // compose-go / Compose v2: `+`/`:+`, nested templates, a lone `$` stays literal.
};

using Environment = std::map<std::string, std::string>;

struct InterpolationError {
  bool missing_required = false;  // `:?`/`?` on an unset variable (else: invalid template)
  std::string variable;
  std::string message;  // 1.29: the `?` text or the variable; spec: "required variable X is missing …"
};

// Interpolates `text`. Unset variables used without a default become "" and are added to `unset`
// (1.29 prints "The X variable is not set. Defaulting to a blank string.").
std::expected<std::string, InterpolationError> interpolate(std::string_view text, const Environment& env,
                                                           Dialect dialect,
                                                           std::set<std::string>* unset = nullptr);

}  // namespace lucid::render
