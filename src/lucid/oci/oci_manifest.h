// OCI image manifests as data: descriptors, building the compact JSON we push, parsing what a
// registry serves, and pushing a one-layer artifact (how cosign stores signatures and SBOMs).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/oci/oci_registry.h"

namespace lucid::oci {

inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";

struct Descriptor {
  std::string media_type;
  std::string digest;
  long size = 0;
  std::map<std::string, std::string> annotations;
};

struct ImageManifest {
  std::string media_type = std::string(kOciManifest);
  Descriptor config;
  std::vector<Descriptor> layers;     // for an index: empty
  std::vector<Descriptor> manifests;  // for an index (OCI index / Docker list): the entries
};

// A descriptor for `bytes` (digest and size computed).
Descriptor describe(std::string_view media_type, std::string_view bytes);
// Compact JSON with sorted keys (deterministic): schemaVersion 2, mediaType, config, layers.
std::string manifest_json(const ImageManifest& m);
// Parses an image manifest or index; kCorrupt naming the missing field.
Result<ImageManifest> parse_manifest(std::string_view bytes);

// Pushes `layer` (and a minimal OCI config naming it) to `repo` and the manifest under `tag`;
// the new layer is appended after `keep_layers` (cosign appends signatures). Returns the manifest digest.
Result<std::string> push_artifact(RegistryClient& client, std::string_view repo, std::string_view tag,
                                  const std::vector<Descriptor>& keep_layers, const Descriptor& layer,
                                  std::string_view layer_bytes);

// "sha256:<hex>" → "sha256-<hex><suffix>" (cosign's tag for `.sig`, `.sbom`, `.att`).
std::string cosign_tag(std::string_view digest, std::string_view suffix);

// Refuses (kAuthentication) when `tag` in `repo` no longer resolves to `pinned_digest`
// (re-pushed under the same tag), kNotFound when the tag or the pinned digest is gone.
Status check_pinned(RegistryClient& client, std::string_view repo, std::string_view tag,
                    std::string_view pinned_digest);

}  // namespace lucid::oci
