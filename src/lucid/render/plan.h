// A Plan: the resolved compose document in canonical forms with its content hash and one config
// hash per service (docs/formats.md "Render plan and config hashes").
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/labels.h"
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
  std::map<std::string, std::string> service_hashes;  // service → config hash, hex (see below)
  std::vector<SecretUse> secrets;
  std::vector<std::string> warnings;  // e.g. unset variables defaulted to ""
  // What apply feeds Compose: `yaml` with label com.lucid.config-hash = the service's config hash
  // added to every service and `profiles:` dropped (every service of the plan runs), after hashing,
  // so the hashes stay those of `document`.
  std::string apply_yaml;
};

using lucid::kConfigHashLabel;  // base/labels.h

// Fills yaml/json/content_hash/service_hashes/apply_yaml from `document`.
Status finish_plan(Plan& plan);

// Config hashes of a plan whose document carries resolved secret values, computed without them:
// the label is readable by anyone who can list containers, and an unkeyed hash over a value would
// let them test guesses of a low-entropy secret offline. So a service's hash covers its document
// with the references left as text (`unresolved_document`, the same render without a resolver)
// and, for each `plan.secrets` reference appearing in it, the digest of the encrypted file it
// points at (`secret_file_digests`: file name under secrets/ → hex BLAKE3 of its bytes): rotating
// a secret (a new encrypted file) still changes the hash, and ciphertext digests reveal nothing
// about values. A service without references keeps config_hash(service). Rebuilds apply_yaml.
// A keyed hash was the alternative; it would need the site key wherever hashes are compared
// (`lucidctl plan` has none) and would change every label when that key is rotated.
Status hash_without_secret_values(Plan& plan, const nlohmann::json& unresolved_document,
                                  const std::map<std::string, std::string>& secret_file_digests);
// The canonical JSON used for hashing: RFC 8785, with non-integer numbers written as strings.
Result<std::string> hash_input(const nlohmann::json& value);
std::string config_hash(const nlohmann::json& service);  // hex BLAKE3 of hash_input(service)

// Rewrites apply_yaml so images named under `from_registry` ("registry.lucid.local:5000") are pulled
// from `to_registry` ("127.0.0.1:5000") with the same repository path, tag and digest: a site pulls
// the pinned digest from its mirror. `document` and the hashes stay those of the canonical names.
void rehome_images(Plan& plan, std::string_view from_registry, std::string_view to_registry);

}  // namespace lucid::render
