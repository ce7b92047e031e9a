#include "lucid/build/image_spec.h"

#include <charconv>
#include <set>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/yaml/loader.h"

namespace lucid::build {
namespace {

bool parse_uint(std::string_view s, unsigned& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool parse_user(std::string_view user, unsigned& uid, unsigned& gid) {
  auto colon = user.find(':');
  if (colon == std::string_view::npos) return false;
  return parse_uint(user.substr(0, colon), uid) && parse_uint(user.substr(colon + 1), gid);
}

Result<std::vector<std::string>> string_list(const yaml::Node& item, const char* key,
                                             const std::string& name) {
  std::vector<std::string> out;
  const yaml::Node* n = item.find(key);
  if (!n || n->is_null()) return out;
  if (!n->is_sequence())
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: image {}: {}: expected a list", n->mark.str(), name, key));
  for (const auto& i : n->items) {
    if (!i.is_scalar() || i.value.empty())
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: image {}: {}: expected strings", i.mark.str(), name, key));
    out.push_back(i.value);
  }
  return out;
}

}  // namespace

unsigned ImageSpec::uid() const {
  unsigned u = 0, g = 0;
  parse_user(user, u, g);
  return u;
}

unsigned ImageSpec::gid() const {
  unsigned u = 0, g = 0;
  parse_user(user, u, g);
  return g;
}

Result<std::vector<ImageSpec>> parse_image_specs(std::string_view yaml_text, const std::string& file) {
  auto doc = yaml::parse(yaml_text, file);
  if (!doc) return std::unexpected(doc.error());
  const yaml::Node* list = doc->is_mapping() ? doc->find("images") : nullptr;
  if (!list || !list->is_sequence())
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: expected a mapping with an `images:` list", doc->mark.str()));
  std::vector<ImageSpec> out;
  std::set<std::string> names;
  for (const auto& item : list->items) {
    auto bad = [&](const std::string& what) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("{}: image: {}", item.mark.str(), what));
    };
    if (!item.is_mapping()) return bad("expected a mapping");
    ImageSpec s;
    s.where = item.mark.str();
    const yaml::Node* name = item.find("name");
    if (!name || !name->is_scalar() || name->value.empty()) return bad("missing name");
    s.name = name->value;
    if (!names.insert(s.name).second) return bad(fmt::format("duplicate name {}", s.name));
    const yaml::Node* stage = item.find("stage");
    unsigned st = 0;
    if (!stage || !stage->is_scalar() || !parse_uint(stage->value, st) || st > 6)
      return bad(fmt::format("{}: stage must be 0..6", s.name));
    s.stage = static_cast<int>(st);
    s.container = s.name;
    if (const yaml::Node* c = item.find("container"); c && c->is_scalar()) s.container = c->value;
    if (const yaml::Node* u = item.find("user"); u && u->is_scalar()) s.user = u->value;
    if (const yaml::Node* u = item.find("user_name"); u && u->is_scalar()) s.user_name = u->value;
    unsigned uid = 0, gid = 0;
    if (!parse_user(s.user, uid, gid)) return bad(fmt::format("{}: user must be \"uid:gid\"", s.name));
    if (uid == 0 || gid == 0) return bad(fmt::format("{}: user must not be root", s.name));
    if (const yaml::Node* p = item.find("pin"); p && p->is_scalar()) s.pin = p->value != "false";
    for (auto [key, dst] : {std::pair{"binaries", &s.binaries},
                            {"programs", &s.programs},
                            {"files", &s.files},
                            {"state_dirs", &s.state_dirs},
                            {"entrypoint", &s.entrypoint},
                            {"healthcheck", &s.healthcheck}}) {
      auto l = string_list(item, key, s.name);
      if (!l) return std::unexpected(l.error());
      *dst = std::move(*l);
    }
    if (s.binaries.empty()) return bad(fmt::format("{}: binaries: at least one Lucid binary", s.name));
    if (s.entrypoint.empty()) return bad(fmt::format("{}: missing entrypoint", s.name));
    for (const auto* l : {&s.programs, &s.files, &s.state_dirs})
      for (const auto& p : *l)
        if (p.empty() || p[0] != '/') return bad(fmt::format("{}: {}: must be an absolute path", s.name, p));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<ImageSpec>> load_image_specs(const std::filesystem::path& path) {
  auto text = read_text_file(path);
  if (!text) return fail(text.error().kind, fmt::format("{}: cannot be read", path.string()));
  return parse_image_specs(*text, path.string());
}

}  // namespace lucid::build
