// Plane ACL policy (deploy/policies/acl.yaml): cross-plane resolution is denied; inside a plane
// the plane's default applies (allow-same-plane, or deny with explicit from→to allow pairs).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::beta {

struct AclAllow {
  std::string from;
  std::string to;
  bool bidirectional = false;
};

struct AclPlane {
  bool allow_same_plane = true;  // default: allow-same-plane; false = deny
  std::vector<AclAllow> allow;
};

struct AclDecision {
  bool allowed = false;
  std::string reason;  // one line: why
};

class AclPolicy {
 public:
  static Result<AclPolicy> parse(std::string_view yaml_text);
  static Result<AclPolicy> load(const std::filesystem::path& path);
  // The built-in policy when no file is given: every plane in `planes` allows same-plane, except
  // "wallet" which is deny-by-default with no pairs.
  static AclPolicy defaults(const std::vector<std::string>& planes);

  // May service `from` on `from_plane` resolve/reach `to` on `to_plane`?
  AclDecision check(const std::string& from, const std::string& from_plane, const std::string& to,
                    const std::string& to_plane) const;
  // Whether any container of `plane` may connect to any other (allow-same-plane). False for a
  // deny-by-default plane and for one the policy does not name: there, connections are admitted
  // per allowed pair (namespace_rules.h).
  bool open_within(const std::string& plane) const;
  const std::map<std::string, AclPlane>& planes() const { return planes_; }

 private:
  std::map<std::string, AclPlane> planes_;
};

// Splits "service@plane"; both parts non-empty.
Result<std::pair<std::string, std::string>> split_service_at_plane(const std::string& text);

}  // namespace lucid::beta
