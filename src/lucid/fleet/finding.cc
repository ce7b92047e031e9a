#include "lucid/fleet/finding.h"

#include <algorithm>

#include <fmt/format.h>

namespace lucid::fleet {

std::string severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "error";
}

std::string to_text(const Finding& f) {
  std::string s = fmt::format("{}:{}:{}: {} {}: {}", f.file, f.line, f.col, severity_name(f.severity),
                              f.rule_id, f.message);
  if (!f.hint.empty()) s += fmt::format(" ({})", f.hint);
  return s;
}

nlohmann::json to_json(const Finding& f) {
  return {{"file", f.file},       {"line", f.line},
          {"col", f.col},         {"severity", severity_name(f.severity)},
          {"rule_id", f.rule_id}, {"message", f.message},
          {"hint", f.hint}};
}

Finding make_finding(const yaml::Mark& at, Severity s, std::string rule_id, std::string message,
                     std::string hint) {
  return Finding{at.file_name(), at.line, at.col, s, std::move(rule_id), std::move(message), std::move(hint)};
}

bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kError; });
}

}  // namespace lucid::fleet
