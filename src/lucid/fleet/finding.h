// A Finding: one problem at one place in the config repo. Loading, lint and render all report
// Findings; their text form is `file:line:col: severity rule-id: message (hint)`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/yaml/node.h"

namespace lucid::fleet {

enum class Severity { kInfo, kWarning, kError };

struct Finding {
  std::string file;
  int line = 0;  // 1-based; 0 when the finding is about a whole file
  int col = 0;
  Severity severity = Severity::kError;
  std::string rule_id;  // "load/yaml", "load/duplicate-key", lint rule ids, …
  std::string message;
  std::string hint;  // what to do; may be empty
};

std::string severity_name(Severity s);  // "info", "warning", "error"
// `file:line:col: severity rule-id: message (hint)`; "(hint)" is left out when there is none.
std::string to_text(const Finding& f);
nlohmann::json to_json(const Finding& f);
Finding make_finding(const yaml::Mark& at, Severity s, std::string rule_id, std::string message,
                     std::string hint = {});
bool has_errors(const std::vector<Finding>& findings);

}  // namespace lucid::fleet
