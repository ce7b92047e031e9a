#include "lucid/sbom/waivers.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/time.h"
#include "lucid/sbom/purl.h"
#include "lucid/yaml/loader.h"

namespace lucid::sbom {

namespace {

bool package_matches(const std::string& waived, const std::string& purl) {
  auto w = parse_purl(waived);
  auto p = parse_purl(purl);
  if (!w || !p) return waived == purl;
  if (w->base() != p->base()) return false;
  return w->version.empty() || w->version == p->version;
}

}  // namespace

std::string utc_today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

Result<std::vector<Waiver>> parse_waivers(std::string_view yaml_text, const std::string& file) {
  auto doc = yaml::parse(yaml_text, file);
  if (!doc) return std::unexpected(doc.error());
  std::vector<Waiver> out;
  if (doc->is_null()) return out;
  const yaml::Node* list = doc->find("waivers");
  if (!doc->is_mapping() || !list)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: expected a mapping with `waivers:`", doc->mark.str()));
  if (list->is_null()) return out;
  if (!list->is_sequence())
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: waivers: expected a list", list->mark.str()));
  for (const auto& item : list->items) {
    if (!item.is_mapping())
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: waiver: expected a mapping", item.mark.str()));
    Waiver w;
    w.where = item.mark.str();
    auto field = [&](const char* name, std::string& dst) -> Status {
      const yaml::Node* n = item.find(name);
      if (!n || !n->is_scalar() || n->value.empty())
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("{}: waiver: missing {}", item.mark.str(), name));
      dst = n->value;
      return {};
    };
    for (auto [name, dst] :
         {std::pair{"id", &w.id}, {"package", &w.package}, {"reason", &w.reason}, {"expires", &w.expires}})
      if (auto st = field(name, *dst); !st) return std::unexpected(st.error());
    if (!is_iso_date(w.expires))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: waiver {}: expires is not YYYY-MM-DD", item.mark.str(), w.id));
    if (const yaml::Node* imgs = item.find("images")) {
      if (!imgs->is_sequence())
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("{}: waiver {}: images: expected a list", imgs->mark.str(), w.id));
      for (const auto& i : imgs->items) w.images.push_back(i.value);
    }
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::vector<Waiver>> load_waivers(const std::filesystem::path& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  return parse_waivers(*text, path.string());
}

std::string AdvisoryFinding::message(std::string_view image) const {
  switch (state) {
    case State::kOpen:
      return fmt::format("{}: advisory: {} matches {} ({})", image, match.advisory_id, match.purl,
                         match.reason);
    case State::kWaived:
      return fmt::format("{}: advisory: {} on {} waived until {}: {}", image, match.advisory_id, match.purl,
                         waiver->expires, waiver->reason);
    case State::kWaiverExpired:
      return fmt::format("{}: advisory: {} matches {}; its waiver ({}) expired on {}", image,
                         match.advisory_id, match.purl, waiver->where, waiver->expires);
  }
  return {};
}

std::vector<AdvisoryFinding> apply_waivers(const std::vector<AdvisoryMatch>& matches,
                                           const std::vector<Waiver>& waivers, std::string_view image,
                                           std::string_view today,
                                           const std::vector<OsvAdvisory>* advisories) {
  std::vector<AdvisoryFinding> out;
  for (const auto& m : matches) {
    std::vector<std::string> names{m.advisory_id};
    if (advisories)
      for (const auto& a : *advisories)
        if (a.id == m.advisory_id) names.insert(names.end(), a.aliases.begin(), a.aliases.end());
    AdvisoryFinding f{m, AdvisoryFinding::State::kOpen, nullptr};
    for (const auto& w : waivers) {
      if (std::find(names.begin(), names.end(), w.id) == names.end()) continue;
      if (!package_matches(w.package, m.purl)) continue;
      if (!w.images.empty() && std::find(w.images.begin(), w.images.end(), image) == w.images.end()) continue;
      bool expired = today > std::string_view(w.expires);
      // A valid waiver wins over an expired one for the same match.
      if (!expired) {
        f.state = AdvisoryFinding::State::kWaived;
        f.waiver = &w;
        break;
      }
      f.state = AdvisoryFinding::State::kWaiverExpired;
      f.waiver = &w;
    }
    out.push_back(f);
  }
  return out;
}

}  // namespace lucid::sbom
