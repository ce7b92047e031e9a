// `lucidctl build --stage N`: builds a stage's images with the Docker engine (classic builder), pushes
// them to the registry mirror, reads the manifest digest back from the registry, attests an SPDX 2.3
// SBOM (cosign's signed in-toto `.att` layout), signs (cosign legacy `.sig` layout), and pins the
// digests into the config repo's compose file.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/build/image_spec.h"

namespace lucid::build {

struct BuildOptions {
  int stage = 0;
  std::vector<ImageSpec> specs;        // every image; those of `stage` are built
  std::filesystem::path bin_dir;       // where the Lucid binaries are (build/<preset>/bin)
  std::string version;                 // Lucid version: image tag, SBOM versions
  std::string local_prefix = "lucid";  // local tag: <local_prefix>/<name>:<version>
  // Push (all optional together): the mirror's host:port as `docker push` addresses it, and the
  // canonical registry name images are known by (signatures' docker-reference; compose lines keep theirs).
  std::optional<std::string> push;  // "127.0.0.1:5000"
  std::string registry_name = "registry.lucid.local:5000";
  std::optional<std::filesystem::path> key;          // signing key file (required with push)
  std::optional<std::filesystem::path> repo;         // config repo whose compose file gets the pins
  std::filesystem::path work_dir;                    // scratch for build contexts
  std::string created;                               // SBOM creation time (RFC 3339)
  std::function<void(const std::string&)> progress;  // one line per step
};

struct BuiltImage {
  std::string name;
  int stage = 0;
  std::string local_tag;
  std::string image_id;          // local image id
  std::string pushed;            // "127.0.0.1:5000/lucid/beta:0.1.0" ("" when not pushed)
  std::string digest;            // the registry's manifest digest
  std::string sbom_digest;       // `.att` manifest digest (the signed SBOM attestation)
  std::string signature_digest;  // `.sig` manifest digest
  std::size_t files = 0;
  std::size_t sbom_packages = 0;
  std::vector<std::string> unowned_files;
};

struct BuildReport {
  std::vector<BuiltImage> images;
  std::string compose_file;  // relative to the repo, when pinned
  std::string diff;          // unified diff of the pins ("" when unchanged or not pinned)
  std::vector<std::string> notes;
};

// Whole or nothing towards the repo: the compose file is rewritten only after every image of the stage
// was built, pushed, described and signed. kNotFound when the stage has no images.
Result<BuildReport> build_stage(const BuildOptions& options);

// The compose file of a config repo.
inline constexpr const char* kComposePath = "infrastructure/compose/docker-compose.yml";

}  // namespace lucid::build
