// Lint: rules over a loaded config repo Model, producing Findings (docs/lint-rules.md). Never
// mutates the Model; every rule runs in time linear in the number of services.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "lucid/fleet/finding.h"
#include "lucid/fleet/model.h"

namespace lucid::lint {

// One rule: its id (as printed in findings and headed in docs/lint-rules.md) and severity.
struct RuleInfo {
  std::string_view id;
  fleet::Severity severity;
  std::string_view summary;
};

// Every lint rule, in the order of docs/lint-rules.md.
const std::vector<RuleInfo>& rules();
// The rule with `id`, or nullptr.
const RuleInfo* find_rule(std::string_view id);

// The model's load findings plus every rule's findings, sorted by file, line, column, rule id.
std::vector<fleet::Finding> lint(const fleet::Model& model);

// load_model(repo) then lint().
std::vector<fleet::Finding> lint_repo(const std::filesystem::path& repo);

// Sorts findings by file, line, column, rule id and message (the order `lucidctl lint` prints).
void sort_findings(std::vector<fleet::Finding>& findings);

}  // namespace lucid::lint
