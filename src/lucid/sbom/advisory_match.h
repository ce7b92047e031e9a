// Matching OSV advisories against SBOM packages. Advisories are indexed once by (ecosystem, name)
// and by purl, so matching costs one hash lookup per package plus the ranges of the hits. Fails
// closed: a purl or version that cannot be read is a match (`undecidable`), never "not affected".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lucid/sbom/osv.h"
#include "lucid/sbom/spdx.h"

namespace lucid::sbom {

struct AdvisoryMatch {
  std::string advisory_id;
  std::string purl;     // the SBOM package's purl
  std::string package;  // name
  std::string version;  // the SBOM package's version
  std::string reason;   // "Debian:12 ECOSYSTEM range: introduced 0, fixed 1.2-3"
  // True when the package could not be compared (unreadable purl or version) and is taken as affected.
  bool undecidable = false;
};

// The advisory id of the match an unparseable purl yields (a waiver may name it, with a reason).
inline constexpr std::string_view kUnreadablePurl = "LUCID-UNREADABLE-PURL";

// The OSV ecosystem a purl belongs to: deb + distro=debian-12 → "Debian:12", golang → "Go", pypi →
// "PyPI", npm, cargo → "crates.io", maven, gem → "RubyGems"; "" when unknown.
std::string osv_ecosystem_for(std::string_view purl_type, std::string_view distro);

// Whether `version` is inside `range` for `ecosystem` (OSV's evaluation: events in version order,
// introduced opens, fixed closes at, last_affected closes after); nullopt when the package's version
// or one of the range's cannot be read in that ecosystem. GIT ranges (commits) are false here.
std::optional<bool> in_range(const OsvRange& range, std::string_view ecosystem, std::string_view version);

class AdvisoryIndex {
 public:
  // Withdrawn advisories are dropped.
  explicit AdvisoryIndex(std::vector<OsvAdvisory> advisories);

  // Every advisory that names the package and whose versions or ranges hold its version, or cannot be
  // evaluated for it; with any advisory loaded, an unparseable purl yields a kUnreadablePurl match. A
  // package without a purl (the image's own entry) matches nothing.
  std::vector<AdvisoryMatch> match(const SbomPackage& package) const;
  std::vector<AdvisoryMatch> match(const std::vector<SbomPackage>& packages) const;
  std::size_t size() const { return advisories_.size(); }

 private:
  struct Entry {
    std::size_t advisory;
    std::size_t affected;
  };
  std::vector<OsvAdvisory> advisories_;
  std::unordered_map<std::string, std::vector<Entry>> by_name_;  // "ecosystem\0name"
  std::unordered_map<std::string, std::vector<Entry>> by_purl_;  // purl base (no version/qualifiers)
};

}  // namespace lucid::sbom
