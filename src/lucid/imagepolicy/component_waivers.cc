#include "lucid/imagepolicy/component_waivers.h"

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/time.h"
#include "lucid/yaml/loader.h"

namespace lucid::imagepolicy {

Result<std::vector<ComponentWaiver>> parse_component_waivers(std::string_view yaml_text,
                                                             const std::string& file) {
  auto doc = yaml::parse(yaml_text, file);
  if (!doc) return std::unexpected(doc.error());
  std::vector<ComponentWaiver> out;
  const yaml::Node* list = doc->is_mapping() ? doc->find("components") : nullptr;
  if (!list || list->is_null()) return out;
  if (!list->is_sequence())
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: components: expected a list", list->mark.str()));
  for (const auto& item : list->items) {
    if (!item.is_mapping())
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: component waiver: expected a mapping", item.mark.str()));
    ComponentWaiver w;
    w.where = item.mark.str();
    for (auto [name, dst] : {std::pair{"container", &w.container},
                             {"component", &w.component},
                             {"reason", &w.reason},
                             {"expires", &w.expires}}) {
      const yaml::Node* n = item.find(name);
      if (!n || !n->is_scalar() || n->value.empty())
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("{}: component waiver: missing {}", item.mark.str(), name));
      *dst = n->value;
    }
    if (!is_iso_date(w.expires))
      return fail(
          ErrorKind::kInvalidArgument,
          fmt::format("{}: component waiver {}: expires is not YYYY-MM-DD", item.mark.str(), w.component));
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::vector<ComponentWaiver>> load_component_waivers(const std::filesystem::path& path) {
  auto text = read_text_file(path);
  if (!text) return fail(text.error().kind, fmt::format("{}: cannot be read", path.string()));
  return parse_component_waivers(*text, path.filename().string());
}

const ComponentWaiver* find_component_waiver(const std::vector<ComponentWaiver>& waivers,
                                             std::string_view container, std::string_view component) {
  for (const auto& w : waivers)
    if (w.container == container && w.component == component) return &w;
  return nullptr;
}

}  // namespace lucid::imagepolicy
