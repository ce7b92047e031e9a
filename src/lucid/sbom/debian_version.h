// Debian package version ordering exactly as dpkg's verrevcmp: [epoch:]upstream[-revision], where
// '~' sorts before everything (even the end), letters before non-letters, digit runs numerically.
#pragma once

#include <string>
#include <string_view>

#include "lucid/base/result.h"

namespace lucid::sbom {

struct DebianVersion {
  long epoch = 0;
  std::string upstream;
  std::string revision;  // "" when absent (compares like "0")
};

// Splits at the first ':' and the last '-'. kInvalidArgument for an empty upstream, a bad epoch, or
// characters dpkg refuses.
Result<DebianVersion> parse_debian_version(std::string_view text);

// <0, 0, >0 like strcmp; compares epoch, then upstream, then revision.
int compare_debian_versions(const DebianVersion& a, const DebianVersion& b);
// Parses both first; unparsable text compares as a plain string after every valid version.
int compare_debian_versions(std::string_view a, std::string_view b);

}  // namespace lucid::sbom
