// `.sops.yaml` creation rules, as sops reads them for `encrypt`: the first rule whose path_regex
// matches the file (or that has none) gives the age recipients and the encryption selectors.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/sops/sops_tree.h"

namespace lucid::sops {

struct SopsCreationRule {
  std::vector<std::string> age;  // recipients
  SopsRules rules;
  std::filesystem::path config;  // the .sops.yaml it came from
};

// Looks for .sops.yaml in the file's directory and its parents; nullopt when none is found or no
// rule matches.
Result<std::optional<SopsCreationRule>> sops_find_creation_rule(const std::filesystem::path& file);

}  // namespace lucid::sops
