#include "lucid/sbom/advisory_match.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "lucid/sbom/debian_version.h"
#include "lucid/sbom/purl.h"
#include "lucid/sbom/semver.h"

namespace lucid::sbom {

namespace {

std::string key(std::string_view ecosystem, std::string_view name) {
  std::string k(ecosystem);
  k += '\0';
  k += name;
  return k;
}

// Compare two versions of one ecosystem; nullopt when either cannot be read.
std::optional<int> compare(std::string_view type, std::string_view ecosystem, std::string_view a,
                           std::string_view b) {
  if (type == "ECOSYSTEM" && ecosystem.starts_with("Debian")) {
    auto x = parse_debian_version(a);
    auto y = parse_debian_version(b);
    if (!x || !y) return std::nullopt;
    return compare_debian_versions(*x, *y);
  }
  // SEMVER ranges, and ECOSYSTEM ranges of ecosystems whose versions are semver-like (Go, npm, crates.io).
  auto x = parse_semver(a);
  auto y = parse_semver(b);
  if (!x || !y) return std::nullopt;
  return compare_semver(*x, *y);
}

std::string describe(const OsvRange& r, std::string_view ecosystem) {
  std::string out = fmt::format("{} {} range:", ecosystem, r.type);
  const char* names[] = {"introduced", "fixed", "last_affected", "limit"};
  bool first = true;
  for (const auto& e : r.events) {
    out += fmt::format("{} {} {}", first ? "" : ",", names[static_cast<int>(e.kind)], e.version);
    first = false;
  }
  return out;
}

}  // namespace

std::string osv_ecosystem_for(std::string_view type, std::string_view distro) {
  if (type == "deb") {
    if (distro.starts_with("debian-")) return "Debian:" + std::string(distro.substr(7));
    return "Debian";
  }
  if (type == "golang") return "Go";
  if (type == "pypi") return "PyPI";
  if (type == "npm") return "npm";
  if (type == "cargo") return "crates.io";
  if (type == "maven") return "Maven";
  if (type == "gem") return "RubyGems";
  return "";
}

std::optional<bool> in_range(const OsvRange& range, std::string_view ecosystem, std::string_view version) {
  if (range.type != "ECOSYSTEM" && range.type != "SEMVER") return false;
  // Sort events by version; "0" (introduced at the beginning of time) first. An unreadable version
  // (the package's or the range's) leaves the question open: nullopt, never a guess.
  std::vector<const OsvEvent*> events;
  for (const auto& e : range.events)
    if (e.kind != OsvEvent::Kind::kLimit) events.push_back(&e);
  bool readable = true;
  std::stable_sort(events.begin(), events.end(), [&](const OsvEvent* a, const OsvEvent* b) {
    if (a->version == "0") return b->version != "0";
    if (b->version == "0") return false;
    auto c = compare(range.type, ecosystem, a->version, b->version);
    if (!c) readable = false;
    return c.value_or(0) < 0;
  });
  if (!readable) return std::nullopt;
  bool affected = false;
  for (const auto* e : events) {
    std::optional<int> c =
        e->version == "0" ? std::optional<int>(1) : compare(range.type, ecosystem, version, e->version);
    if (!c) return std::nullopt;
    switch (e->kind) {
      case OsvEvent::Kind::kIntroduced:
        if (*c >= 0) affected = true;
        break;
      case OsvEvent::Kind::kFixed:
        if (*c >= 0) affected = false;
        break;
      case OsvEvent::Kind::kLastAffected:
        if (*c > 0) affected = false;
        break;
      case OsvEvent::Kind::kLimit:
        break;
    }
  }
  return affected;
}

AdvisoryIndex::AdvisoryIndex(std::vector<OsvAdvisory> advisories) {
  for (auto& a : advisories)
    if (a.withdrawn.empty()) advisories_.push_back(std::move(a));
  for (std::size_t i = 0; i < advisories_.size(); ++i) {
    for (std::size_t k = 0; k < advisories_[i].affected.size(); ++k) {
      const auto& af = advisories_[i].affected[k];
      if (!af.ecosystem.empty() && !af.name.empty()) by_name_[key(af.ecosystem, af.name)].push_back({i, k});
      if (!af.purl.empty())
        if (auto p = parse_purl(af.purl)) by_purl_[p->base()].push_back({i, k});
    }
  }
}

std::vector<AdvisoryMatch> AdvisoryIndex::match(const SbomPackage& package) const {
  std::vector<AdvisoryMatch> out;
  if (package.purl.empty()) return out;  // nothing names an ecosystem to match in (the image's own entry)
  auto purl = parse_purl(package.purl);
  if (!purl) {
    // Fail closed: an unreadable purl cannot be ruled out against any advisory.
    if (!advisories_.empty())
      out.push_back(AdvisoryMatch{
          std::string(kUnreadablePurl), package.purl, package.name, package.version,
          fmt::format("purl cannot be parsed ({}), so no advisory can be ruled out", purl.error().message),
          true});
    return out;
  }
  std::string version = purl->version.empty() ? package.version : purl->version;
  auto distro = purl->qualifiers.find("distro");
  std::string ecosystem =
      osv_ecosystem_for(purl->type, distro == purl->qualifiers.end() ? "" : distro->second);
  std::string name =
      purl->type == "golang" && !purl->namespace_.empty() ? purl->namespace_ + "/" + purl->name : purl->name;

  std::vector<Entry> hits;
  if (!ecosystem.empty())
    if (auto it = by_name_.find(key(ecosystem, name)); it != by_name_.end()) hits = it->second;
  if (auto it = by_purl_.find(purl->base()); it != by_purl_.end())
    hits.insert(hits.end(), it->second.begin(), it->second.end());

  for (const auto& h : hits) {
    const OsvAdvisory& a = advisories_[h.advisory];
    const OsvAffected& af = a.affected[h.affected];
    std::string eco = af.ecosystem.empty() ? ecosystem : af.ecosystem;
    std::string reason, undecided;
    if (std::find(af.versions.begin(), af.versions.end(), version) != af.versions.end())
      reason = fmt::format("version {} is listed as affected", version);
    for (const auto& r : af.ranges) {
      if (!reason.empty()) break;
      auto in = in_range(r, eco, version);
      if (!in)
        undecided = fmt::format("version \"{}\" cannot be compared with the {}, so it is taken as affected",
                                version, describe(r, eco));
      else if (*in)
        reason = describe(r, eco);
    }
    if (reason.empty() && version.empty() && (!af.versions.empty() || !af.ranges.empty()))
      undecided = "the package has no version, so it is taken as affected";
    if (reason.empty() && undecided.empty()) continue;
    bool dup = false;
    for (const auto& m : out) dup |= m.advisory_id == a.id;
    if (!dup)
      out.push_back(AdvisoryMatch{a.id, package.purl, package.name, version,
                                  reason.empty() ? undecided : reason, reason.empty()});
  }
  return out;
}

std::vector<AdvisoryMatch> AdvisoryIndex::match(const std::vector<SbomPackage>& packages) const {
  std::vector<AdvisoryMatch> out;
  for (const auto& p : packages) {
    auto m = match(p);
    out.insert(out.end(), std::make_move_iterator(m.begin()), std::make_move_iterator(m.end()));
  }
  return out;
}

}  // namespace lucid::sbom
