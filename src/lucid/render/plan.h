// A Plan: the resolved compose document in canonical forms with its content hash and one config
// hash per service (docs/formats.md "Render plan and config hashes").
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/fleet/model.h"

namespace lucid::render {

struct SecretUse {
  std::string variable;  // the .env key
  fleet::SecretRef ref;
  bool resolved = false;  // false: the reference text was left in the document
};

struct Plan {
  std::string project;                                // "lucid-<cluster>" for cluster renders
  nlohmann::json document;                            // {services, networks?, volumes?, secrets?, configs?}
  std::string yaml;                                   // deterministic block YAML of `document`
  std::string json;                                   // canonical JSON (RFC 8785) of `document`
  std::string content_hash;                           // BLAKE3(json), hex
  std::map<std::string, std::string> service_hashes;  // service → BLAKE3(canonical JSON of it), hex
  std::vector<SecretUse> secrets;
  std::vector<std::string> warnings;  // e.g. unset variables defaulted to ""
  // What apply feeds Compose: `yaml` with label com.lucid.config-hash = the service's config hash
  // added to every service and `profiles:` dropped (every service of the plan runs), after hashing,
  // so the hashes stay those of `document`.
  std::string apply_yaml;
};

inline constexpr const char* kConfigHashLabel = "com.lucid.config-hash";

// Fills yaml/json/content_hash/service_hashes/apply_yaml from `document`.
Status finish_plan(Plan& plan);
// The canonical JSON used for hashing: RFC 8785, with non-integer numbers written as strings.
Result<std::string> hash_input(const nlohmann::json& value);
std::string config_hash(const nlohmann::json& service);  // hex BLAKE3 of hash_input(service)

// Rewrites apply_yaml so images named under `from_registry` ("registry.lucid.local:5000") are pulled
// from `to_registry` ("127.0.0.1:5000") with the same repository path, tag and digest: a site pulls
// the pinned digest from its mirror. `document` and the hashes stay those of the canonical names.
void rehome_images(Plan& plan, std::string_view from_registry, std::string_view to_registry);

}  // namespace lucid::render
