#include "lucid/beta/acl.h"

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/yaml/loader.h"
#include "lucid/yaml/scalar.h"

namespace lucid::beta {

Result<AclPolicy> AclPolicy::parse(std::string_view yaml_text) {
  auto tree = yaml::parse(yaml_text, "acl policy");
  if (!tree) return std::unexpected(tree.error());
  auto doc = yaml::to_json(*tree);
  if (!doc) return std::unexpected(doc.error());
  const auto& j = *doc;
  auto bad = [](const std::string& what) { return fail(ErrorKind::kInvalidArgument, "acl policy: " + what); };
  if (!j.is_object()) return bad("not a mapping");
  if (!j.contains("version") || j["version"] != 1) return bad("version must be 1");
  if (j.contains("cross_plane") && j["cross_plane"] != "deny") return bad("cross_plane must be deny");
  if (!j.contains("planes") || !j["planes"].is_object()) return bad("planes must be a mapping");
  AclPolicy policy;
  for (const auto& [name, p] : j["planes"].items()) {
    if (!p.is_object()) return bad(fmt::format("planes.{} must be a mapping", name));
    AclPlane plane;
    std::string def = p.value("default", std::string("allow-same-plane"));
    if (def == "allow-same-plane")
      plane.allow_same_plane = true;
    else if (def == "deny")
      plane.allow_same_plane = false;
    else
      return bad(fmt::format("planes.{}.default '{}' must be allow-same-plane or deny", name, def));
    if (p.contains("allow")) {
      if (!p["allow"].is_array()) return bad(fmt::format("planes.{}.allow must be a list", name));
      for (const auto& a : p["allow"]) {
        if (!a.is_object() || !a.contains("from") || !a.contains("to") || !a["from"].is_string() ||
            !a["to"].is_string())
          return bad(fmt::format("planes.{}.allow entries need from and to", name));
        AclAllow allow{a["from"], a["to"], false};
        if (a.contains("bidirectional")) {
          if (!a["bidirectional"].is_boolean())
            return bad(fmt::format("planes.{}.allow bidirectional must be true/false", name));
          allow.bidirectional = a["bidirectional"];
        }
        plane.allow.push_back(allow);
      }
    }
    policy.planes_[name] = std::move(plane);
  }
  return policy;
}

Result<AclPolicy> AclPolicy::load(const std::filesystem::path& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  auto p = parse(*text);
  if (!p) return std::unexpected(with_context(path.string(), p.error()));
  return p;
}

AclPolicy AclPolicy::defaults(const std::vector<std::string>& planes) {
  AclPolicy policy;
  for (const auto& p : planes) policy.planes_[p] = AclPlane{p != "wallet", {}};
  return policy;
}

AclDecision AclPolicy::check(const std::string& from, const std::string& from_plane, const std::string& to,
                             const std::string& to_plane) const {
  if (from_plane != to_plane)
    return {false, fmt::format("cross-plane: {}@{} may not reach {}@{}", from, from_plane, to, to_plane)};
  auto it = planes_.find(to_plane);
  if (it == planes_.end()) return {false, fmt::format("plane '{}' is not in the ACL policy", to_plane)};
  if (it->second.allow_same_plane) return {true, fmt::format("same plane {} (allow-same-plane)", to_plane)};
  for (const auto& a : it->second.allow) {
    if (a.from == from && a.to == to)
      return {true, fmt::format("{} allows {} -> {}", to_plane, a.from, a.to)};
    if (a.bidirectional && a.from == to && a.to == from)
      return {true, fmt::format("{} allows {} <-> {}", to_plane, a.from, a.to)};
  }
  return {false,
          fmt::format("plane {} is deny-by-default and no allow entry matches {} -> {}", to_plane, from, to)};
}

bool AclPolicy::open_within(const std::string& plane) const {
  auto it = planes_.find(plane);
  return it != planes_.end() && it->second.allow_same_plane;
}

Result<std::pair<std::string, std::string>> split_service_at_plane(const std::string& text) {
  auto at = text.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == text.size() ||
      text.find('@', at + 1) != std::string::npos)
    return fail(ErrorKind::kInvalidArgument, "expected SERVICE@PLANE");
  return std::pair{text.substr(0, at), text.substr(at + 1)};
}

}  // namespace lucid::beta
