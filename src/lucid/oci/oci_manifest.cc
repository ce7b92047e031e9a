#include "lucid/oci/oci_manifest.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/crypto/sha256.h"
#include "lucid/oci/image_ref.h"

namespace lucid::oci {

namespace {

nlohmann::json to_json(const Descriptor& d) {
  nlohmann::json j{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

Result<Descriptor> from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return fail(ErrorKind::kCorrupt, fmt::format("manifest: {} is not an object", where));
  Descriptor d;
  if (!j.contains("digest") || !j["digest"].is_string())
    return fail(ErrorKind::kCorrupt, fmt::format("manifest: {} has no digest", where));
  d.digest = j["digest"].get<std::string>();
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"].get<std::string>();
  if (j.contains("size") && j["size"].is_number_integer()) d.size = j["size"].get<long>();
  if (j.contains("annotations") && j["annotations"].is_object())
    for (const auto& [k, v] : j["annotations"].items())
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
  return d;
}

}  // namespace

Descriptor describe(std::string_view media_type, std::string_view bytes) {
  return Descriptor{
      std::string(media_type), crypto::sha256_digest(bytes), static_cast<long>(bytes.size()), {}};
}

std::string manifest_json(const ImageManifest& m) {
  nlohmann::json j{{"schemaVersion", 2}, {"mediaType", m.media_type}};
  if (m.media_type == kOciIndex || m.media_type == kDockerManifestList) {
    j["manifests"] = nlohmann::json::array();
    for (const auto& d : m.manifests) j["manifests"].push_back(to_json(d));
  } else {
    j["config"] = to_json(m.config);
    j["layers"] = nlohmann::json::array();
    for (const auto& d : m.layers) j["layers"].push_back(to_json(d));
  }
  return j.dump();
}

Result<ImageManifest> parse_manifest(std::string_view bytes) {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorKind::kCorrupt, "manifest: not a JSON object");
  if (!j.contains("schemaVersion") || j["schemaVersion"] != 2)
    return fail(ErrorKind::kCorrupt, "manifest: schemaVersion is not 2");
  ImageManifest m;
  m.media_type =
      j.contains("mediaType") && j["mediaType"].is_string() ? j["mediaType"].get<std::string>() : "";
  if (j.contains("manifests")) {
    if (!j["manifests"].is_array()) return fail(ErrorKind::kCorrupt, "manifest: manifests is not an array");
    for (std::size_t i = 0; i < j["manifests"].size(); ++i) {
      auto d = from_json(j["manifests"][i], fmt::format("manifests[{}]", i));
      if (!d) return std::unexpected(d.error());
      m.manifests.push_back(std::move(*d));
    }
    if (m.media_type.empty()) m.media_type = std::string(kOciIndex);
    return m;
  }
  if (!j.contains("config")) return fail(ErrorKind::kCorrupt, "manifest: no config");
  auto config = from_json(j["config"], "config");
  if (!config) return std::unexpected(config.error());
  m.config = std::move(*config);
  if (!j.contains("layers") || !j["layers"].is_array())
    return fail(ErrorKind::kCorrupt, "manifest: no layers array");
  for (std::size_t i = 0; i < j["layers"].size(); ++i) {
    auto d = from_json(j["layers"][i], fmt::format("layers[{}]", i));
    if (!d) return std::unexpected(d.error());
    m.layers.push_back(std::move(*d));
  }
  if (m.media_type.empty()) m.media_type = std::string(kOciManifest);
  return m;
}

Result<std::string> push_artifact(RegistryClient& client, std::string_view repo, std::string_view tag,
                                  const std::vector<Descriptor>& keep_layers, const Descriptor& layer,
                                  std::string_view layer_bytes) {
  auto pushed = client.push_blob(repo, layer_bytes);
  if (!pushed) return std::unexpected(pushed.error());
  ImageManifest m;
  m.layers = keep_layers;
  m.layers.push_back(layer);
  // A minimal, deterministic OCI config whose rootfs lists the layers (as cosign's does).
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const auto& l : m.layers) diff_ids.push_back(l.digest);
  nlohmann::json config{{"architecture", ""},
                        {"os", ""},
                        {"config", nlohmann::json::object()},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  std::string config_bytes = config.dump();
  auto cfg = client.push_blob(repo, config_bytes);
  if (!cfg) return std::unexpected(cfg.error());
  m.config = describe(kOciConfig, config_bytes);
  return client.put_manifest(repo, tag, manifest_json(m), kOciManifest);
}

std::string cosign_tag(std::string_view digest, std::string_view suffix) {
  std::string t(digest);
  if (auto colon = t.find(':'); colon != std::string::npos) t[colon] = '-';
  return t + std::string(suffix);
}

Status check_pinned(RegistryClient& client, std::string_view repo, std::string_view tag,
                    std::string_view pinned_digest) {
  auto head = client.head_manifest(repo, tag);
  if (!head) return std::unexpected(head.error());
  if (!*head)
    return fail(ErrorKind::kNotFound, fmt::format("{}:{}: pin: tag not found in the registry", repo, tag));
  if ((*head)->digest != pinned_digest)
    return fail(
        ErrorKind::kAuthentication,
        fmt::format("{}:{}: pin: tag now resolves to {}, pinned {} (re-pushed with different content)", repo,
                    tag, (*head)->digest, pinned_digest));
  auto by_digest = client.get_manifest(repo, pinned_digest);
  if (!by_digest) return std::unexpected(by_digest.error());
  return {};
}

}  // namespace lucid::oci
