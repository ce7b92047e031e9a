#include "lucid/sbom/inclusion_matrix.h"

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/sbom/purl.h"
#include "lucid/yaml/loader.h"

namespace lucid::sbom {

namespace {

Result<std::vector<MatrixComponent>> components(const yaml::Node* list, const std::string& where) {
  std::vector<MatrixComponent> out;
  if (!list || list->is_null()) return out;
  if (!list->is_sequence())
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: {}: expected a list", list->mark.str(), where));
  for (const auto& item : list->items) {
    const yaml::Node* id = item.find("id");
    const yaml::Node* sbom = item.find("sbom");
    if (!item.is_mapping() || !id || !id->is_scalar() || id->value.empty())
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: {}: component without id", item.mark.str(), where));
    if (!sbom || !sbom->is_sequence() || sbom->items.empty())
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: {}: component {} has no sbom list", item.mark.str(), where, id->value));
    MatrixComponent c{id->value, "", {}};
    if (const yaml::Node* d = item.find("description")) c.description = d->value;
    for (const auto& s : sbom->items) {
      if (!s.value.starts_with("deb:") && !s.value.starts_with("lucid:"))
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("{}: {}: sbom entry '{}' is neither deb:<package> nor lucid:<binary>",
                                s.mark.str(), where, s.value));
      c.sbom.push_back(s.value);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

Result<InclusionMatrix> parse_inclusion_matrix(std::string_view yaml_text, const std::string& file) {
  auto doc = yaml::parse(yaml_text, file);
  if (!doc) return std::unexpected(doc.error());
  const yaml::Node* containers = doc->is_mapping() ? doc->find("containers") : nullptr;
  if (!containers || !containers->is_mapping())
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: expected `containers:` mapping", doc->mark.str()));
  InclusionMatrix m;
  for (const auto& [k, v] : containers->entries) {
    MatrixContainer c;
    c.name = k.value;
    auto must = components(v.find("must"), c.name + ".must");
    if (!must) return std::unexpected(must.error());
    auto should = components(v.find("should"), c.name + ".should");
    if (!should) return std::unexpected(should.error());
    c.must = std::move(*must);
    c.should = std::move(*should);
    m.containers.emplace(c.name, std::move(c));
  }
  return m;
}

Result<InclusionMatrix> load_inclusion_matrix(const std::filesystem::path& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  return parse_inclusion_matrix(*text, path.string());
}

bool sbom_has(const Sbom& sbom, std::string_view entry) {
  bool deb = entry.starts_with("deb:");
  std::string_view name = entry.substr(entry.find(':') + 1);
  for (const auto& p : sbom.packages) {
    auto purl = parse_purl(p.purl);
    if (!purl) continue;
    if (deb && purl->type == "deb" && purl->name == name) return true;
    if (!deb && purl->type == "generic" && purl->namespace_ == "lucid" && purl->name == name) return true;
  }
  return false;
}

std::vector<InclusionFinding> check_inclusion(const InclusionMatrix& matrix, std::string_view container,
                                              const Sbom& sbom, std::string_view image) {
  std::vector<InclusionFinding> out;
  auto it = matrix.containers.find(std::string(container));
  if (it == matrix.containers.end()) return out;
  auto check = [&](const std::vector<MatrixComponent>& list, InclusionFinding::Level level,
                   const char* kind) {
    for (const auto& c : list) {
      bool present = false;
      for (const auto& e : c.sbom) present = present || sbom_has(sbom, e);
      if (present) continue;
      std::string entries;
      for (const auto& e : c.sbom) entries += (entries.empty() ? "" : ", ") + e;
      out.push_back(
          InclusionFinding{level, std::string(container), c.id,
                           fmt::format("{}: inclusion: {} component {} ({}) missing: none of {} in the SBOM",
                                       image, kind, c.id, c.description, entries)});
    }
  };
  check(it->second.must, InclusionFinding::Level::kError, "must-include");
  check(it->second.should, InclusionFinding::Level::kWarning, "should-include");
  return out;
}

}  // namespace lucid::sbom
