// Package URLs (purl): pkg:type/namespace/name@version?qualifiers — building Debian purls for SBOMs
// and parsing any purl for advisory matching. Percent-encoding is decoded on parse, applied on build.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "lucid/base/result.h"

namespace lucid::sbom {

struct Purl {
  std::string type;        // "deb", "golang", "pypi", "generic", …
  std::string namespace_;  // "debian"; "" when none
  std::string name;
  std::string version;                            // "" when none
  std::map<std::string, std::string> qualifiers;  // sorted, as the purl spec's canonical form

  std::string str() const;  // canonical form
  // type/namespace/name without version or qualifiers: the key advisories match on.
  std::string base() const;
};

Result<Purl> parse_purl(std::string_view text);
// pkg:deb/debian/<name>@<version>?arch=<arch>&distro=debian-12
Purl debian_purl(std::string_view name, std::string_view version, std::string_view arch,
                 std::string_view distro = "debian-12");

}  // namespace lucid::sbom
