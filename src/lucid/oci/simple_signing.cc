#include "lucid/oci/simple_signing.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/go_json.h"

namespace lucid::oci {

std::string simple_signing_payload(const SimpleSigningClaim& claim) {
  std::string out = "{\"critical\":{\"identity\":{\"docker-reference\":";
  out += go_json_string(claim.docker_reference);
  out += "},\"image\":{\"docker-manifest-digest\":";
  out += go_json_string(claim.manifest_digest);
  out += "},\"type\":";
  out += go_json_string(claim.type);
  out += "},\"optional\":";
  if (claim.optional.empty()) {
    out += "null";
  } else {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : claim.optional) {  // std::map: sorted by bytes, as Go sorts map keys
      if (!first) out += ',';
      first = false;
      out += go_json_string(k) + ":" + go_json_string(v);
    }
    out += '}';
  }
  out += '}';
  return out;
}

std::string simple_signing_payload(std::string_view docker_reference, std::string_view manifest_digest) {
  return simple_signing_payload(SimpleSigningClaim{
      std::string(docker_reference), std::string(manifest_digest), std::string(kCosignSignatureType), {}});
}

Result<SimpleSigningClaim> parse_simple_signing(std::string_view payload) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::kCorrupt, "simple-signing payload is not a JSON object");
  auto str_at = [&](const nlohmann::json::json_pointer& p) -> const std::string* {
    if (!j.contains(p) || !j.at(p).is_string()) return nullptr;
    return j.at(p).get_ptr<const std::string*>();
  };
  SimpleSigningClaim c;
  const std::string* ref = str_at(nlohmann::json::json_pointer("/critical/identity/docker-reference"));
  const std::string* dig = str_at(nlohmann::json::json_pointer("/critical/image/docker-manifest-digest"));
  const std::string* type = str_at(nlohmann::json::json_pointer("/critical/type"));
  if (!dig)
    return fail(ErrorKind::kCorrupt, "simple-signing payload has no critical.image.docker-manifest-digest");
  if (!type) return fail(ErrorKind::kCorrupt, "simple-signing payload has no critical.type");
  if (!ref)
    return fail(ErrorKind::kCorrupt, "simple-signing payload has no critical.identity.docker-reference");
  c.docker_reference = *ref;
  c.manifest_digest = *dig;
  c.type = *type;
  if (j.contains("optional") && j["optional"].is_object())
    for (const auto& [k, v] : j["optional"].items())
      if (v.is_string()) c.optional[k] = v.get<std::string>();
  return c;
}

}  // namespace lucid::oci
