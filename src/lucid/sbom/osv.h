// OSV advisories (https://ossf.github.io/osv-schema/): the fields Lucid matches on — affected
// packages by ecosystem/name or purl, ECOSYSTEM/SEMVER/GIT ranges, and explicit version lists.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::sbom {

struct OsvEvent {
  enum class Kind { kIntroduced, kFixed, kLastAffected, kLimit };
  Kind kind = Kind::kIntroduced;
  std::string version;
};

struct OsvRange {
  std::string type;  // "ECOSYSTEM", "SEMVER", "GIT"
  std::vector<OsvEvent> events;
};

struct OsvAffected {
  std::string ecosystem;  // "Debian:12", "Go", "PyPI" …; "" when only a purl (or nothing) names it
  std::string name;
  std::string purl;
  std::vector<OsvRange> ranges;
  std::vector<std::string> versions;
};

struct OsvAdvisory {
  std::string id;
  std::string summary;
  std::string withdrawn;  // RFC 3339 time, "" when not withdrawn
  std::vector<std::string> aliases;
  std::vector<OsvAffected> affected;
  std::string source;  // the file it came from (messages)
};

// kCorrupt naming `source` and the field when the JSON is not an OSV advisory (id is required).
Result<OsvAdvisory> parse_osv(std::string_view json_text, const std::string& source);
// Every *.json file under `dir`, sorted by name.
Result<std::vector<OsvAdvisory>> load_osv_dir(const std::filesystem::path& dir);

}  // namespace lucid::sbom
