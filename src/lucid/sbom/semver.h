// Semantic Versioning 2.0.0 precedence (OSV "SEMVER" ranges): major.minor.patch, pre-release
// identifiers compared field by field, build metadata ignored. A leading 'v' is accepted (Go modules).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::sbom {

struct SemVer {
  unsigned long long major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;
};

// Strict core; "1.2" and "1" are read as 1.2.0 and 1.0.0 (OSV data has them).
Result<SemVer> parse_semver(std::string_view text);
int compare_semver(const SemVer& a, const SemVer& b);

}  // namespace lucid::sbom
