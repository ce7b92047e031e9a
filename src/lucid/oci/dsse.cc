#include "lucid/oci/dsse.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/base64.h"

namespace lucid::oci {

std::string dsse_pae(std::string_view payload_type, std::string_view payload) {
  return fmt::format("DSSEv1 {} {} {} {}", payload_type.size(), payload_type, payload.size(), payload);
}

namespace {
Result<std::string> b64(const nlohmann::json& v, const char* what) {
  if (!v.is_string())
    return fail(ErrorKind::kCorrupt, fmt::format("DSSE envelope: {} is not a string", what));
  auto bytes = base64_decode(v.get<std::string>(), {.padded = true, .canonical = false});
  if (!bytes)
    return fail(ErrorKind::kCorrupt, fmt::format("DSSE envelope: {}: {}", what, bytes.error().message));
  return std::string(bytes->begin(), bytes->end());
}
}  // namespace

Result<DsseEnvelope> parse_dsse(std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::kCorrupt, "DSSE envelope: not a JSON object");
  DsseEnvelope e;
  if (!j.contains("payloadType") || !j["payloadType"].is_string())
    return fail(ErrorKind::kCorrupt, "DSSE envelope: no payloadType");
  e.payload_type = j["payloadType"].get<std::string>();
  if (!j.contains("payload")) return fail(ErrorKind::kCorrupt, "DSSE envelope: no payload");
  auto payload = b64(j["payload"], "payload");
  if (!payload) return std::unexpected(payload.error());
  e.payload = std::move(*payload);
  if (!j.contains("signatures") || !j["signatures"].is_array())
    return fail(ErrorKind::kCorrupt, "DSSE envelope: no signatures array");
  for (const auto& s : j["signatures"]) {
    if (!s.is_object() || !s.contains("sig"))
      return fail(ErrorKind::kCorrupt, "DSSE envelope: signature without sig");
    auto sig = b64(s["sig"], "sig");
    if (!sig) return std::unexpected(sig.error());
    e.signatures.push_back(std::move(*sig));
  }
  return e;
}

Result<std::string> sign_dsse(std::string_view payload_type, std::string_view payload,
                              const PrivateKey& key) {
  std::string pae = dsse_pae(payload_type, payload);
  auto sig = key.sign(std::span(reinterpret_cast<const std::uint8_t*>(pae.data()), pae.size()));
  if (!sig) return std::unexpected(sig.error());
  // ordered_json keeps cosign's field order (Go marshals struct fields in declaration order).
  nlohmann::ordered_json env;
  env["payloadType"] = payload_type;
  env["payload"] =
      base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  env["signatures"] = nlohmann::ordered_json::array({{{"keyid", ""}, {"sig", base64_encode(*sig)}}});
  return env.dump();
}

Result<CosignVerified> verify_dsse(const DsseEnvelope& envelope, const SignerKeys& keys) {
  std::string pae = dsse_pae(envelope.payload_type, envelope.payload);
  auto msg = std::span(reinterpret_cast<const std::uint8_t*>(pae.data()), pae.size());
  for (const auto& sig : envelope.signatures)
    for (const auto& key : keys.keys())
      if (key.verify(msg, std::span(reinterpret_cast<const std::uint8_t*>(sig.data()), sig.size())))
        return CosignVerified{key.name(), {}};
  return fail(ErrorKind::kAuthentication,
              fmt::format("DSSE envelope: none of {} signature(s) verifies with any of {} policy key(s)",
                          envelope.signatures.size(), keys.keys().size()));
}

Status check_in_toto_subject(std::string_view statement, std::string_view sha256_hex) {
  auto j = nlohmann::json::parse(statement, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::kCorrupt, "in-toto statement: not a JSON object");
  if (!j.contains("subject") || !j["subject"].is_array() || j["subject"].empty())
    return fail(ErrorKind::kAuthentication, "in-toto statement: no subject");
  for (const auto& s : j["subject"]) {
    if (!s.is_object() || !s.contains("digest") || !s["digest"].is_object()) continue;
    const auto& d = s["digest"];
    if (d.contains("sha256") && d["sha256"].is_string() && d["sha256"].get<std::string>() == sha256_hex)
      return {};
  }
  return fail(ErrorKind::kAuthentication,
              fmt::format("in-toto statement: no subject has sha256 {}", sha256_hex));
}

}  // namespace lucid::oci
