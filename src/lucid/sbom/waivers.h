// Advisory waivers (policies/waivers.yaml): an advisory id, the purl it is waived for, a reason and
// an expiry date. A match is open, waived, or waived-but-expired (which fails like an open one).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/sbom/advisory_match.h"

namespace lucid::sbom {

struct Waiver {
  std::string id;                   // OSV id (an alias of the advisory also matches)
  std::string package;              // purl; compared without version/qualifiers unless it has a version
  std::vector<std::string> images;  // empty: every image
  std::string reason;
  std::string expires;  // YYYY-MM-DD; the waiver applies through that day
  std::string where;    // "waivers.yaml:12:5" for messages
};

// Reads `waivers:` (a list). kInvalidArgument naming file:line for a missing id/package/reason or a bad date.
Result<std::vector<Waiver>> load_waivers(const std::filesystem::path& path);
Result<std::vector<Waiver>> parse_waivers(std::string_view yaml_text, const std::string& file);

struct AdvisoryFinding {
  enum class State { kOpen, kWaived, kWaiverExpired };
  AdvisoryMatch match;
  State state = State::kOpen;
  const Waiver* waiver = nullptr;  // points into the waiver list passed to apply_waivers
  bool blocks() const { return state != State::kWaived; }
  std::string message(std::string_view image) const;  // one line: image, check, reason
};

// `today` as YYYY-MM-DD. `aliases_of` maps an advisory id to its aliases (may be empty).
std::vector<AdvisoryFinding> apply_waivers(const std::vector<AdvisoryMatch>& matches,
                                           const std::vector<Waiver>& waivers, std::string_view image,
                                           std::string_view today,
                                           const std::vector<OsvAdvisory>* advisories = nullptr);

// Today's UTC date as YYYY-MM-DD.
std::string utc_today();

}  // namespace lucid::sbom
