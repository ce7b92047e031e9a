#include "lucid/sbom/osv.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"

namespace lucid::sbom {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {
std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}
}  // namespace

Result<OsvAdvisory> parse_osv(std::string_view json_text, const std::string& source) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::kCorrupt, fmt::format("{}: not a JSON object", source));
  OsvAdvisory a;
  a.source = source;
  a.id = str(j, "id");
  if (a.id.empty()) return fail(ErrorKind::kCorrupt, fmt::format("{}: advisory has no id", source));
  a.summary = str(j, "summary");
  a.withdrawn = str(j, "withdrawn");
  if (j.contains("aliases") && j["aliases"].is_array())
    for (const auto& x : j["aliases"])
      if (x.is_string()) a.aliases.push_back(x.get<std::string>());
  if (!j.contains("affected")) return a;
  if (!j["affected"].is_array())
    return fail(ErrorKind::kCorrupt, fmt::format("{}: {}: affected is not an array", source, a.id));
  for (const auto& af : j["affected"]) {
    if (!af.is_object())
      return fail(ErrorKind::kCorrupt, fmt::format("{}: {}: affected entry is not an object", source, a.id));
    OsvAffected x;
    if (af.contains("package")) {
      x.ecosystem = str(af["package"], "ecosystem");
      x.name = str(af["package"], "name");
      x.purl = str(af["package"], "purl");
    }
    if (af.contains("versions") && af["versions"].is_array())
      for (const auto& v : af["versions"])
        if (v.is_string()) x.versions.push_back(v.get<std::string>());
    if (af.contains("ranges")) {
      if (!af["ranges"].is_array())
        return fail(ErrorKind::kCorrupt, fmt::format("{}: {}: ranges is not an array", source, a.id));
      for (const auto& r : af["ranges"]) {
        OsvRange range;
        range.type = str(r, "type");
        if (range.type.empty())
          return fail(ErrorKind::kCorrupt, fmt::format("{}: {}: range without type", source, a.id));
        if (!r.contains("events") || !r["events"].is_array())
          return fail(ErrorKind::kCorrupt, fmt::format("{}: {}: range without events", source, a.id));
        for (const auto& e : r["events"]) {
          static const std::pair<const char*, OsvEvent::Kind> kinds[] = {
              {"introduced", OsvEvent::Kind::kIntroduced},
              {"fixed", OsvEvent::Kind::kFixed},
              {"last_affected", OsvEvent::Kind::kLastAffected},
              {"limit", OsvEvent::Kind::kLimit}};
          bool found = false;
          for (const auto& [key, kind] : kinds)
            if (std::string v = str(e, key); !v.empty()) {
              range.events.push_back(OsvEvent{kind, v});
              found = true;
              break;
            }
          if (!found)
            return fail(ErrorKind::kCorrupt,
                        fmt::format("{}: {}: range event without a version", source, a.id));
        }
        x.ranges.push_back(std::move(range));
      }
    }
    a.affected.push_back(std::move(x));
  }
  return a;
}

Result<std::vector<OsvAdvisory>> load_osv_dir(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  if (ec) return fail(ErrorKind::kNotFound, fmt::format("{}: {}", dir.string(), ec.message()));
  std::sort(files.begin(), files.end());
  std::vector<OsvAdvisory> out;
  for (const auto& f : files) {
    auto text = read_text_file(f);
    if (!text) return std::unexpected(text.error());
    auto a = parse_osv(*text, f.filename().string());
    if (!a) return std::unexpected(a.error());
    out.push_back(std::move(*a));
  }
  return out;
}

}  // namespace lucid::sbom
