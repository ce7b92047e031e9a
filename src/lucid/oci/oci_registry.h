// A client for the Docker Registry HTTP API v2 / OCI distribution (no auth; plain HTTP to a local
// mirror): manifests by tag or digest, blobs, monolithic uploads. Every byte read is checked against its
// digest.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lucid/base/http_client.h"
#include "lucid/base/result.h"

namespace lucid::oci {

inline constexpr std::string_view kDockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";

struct ManifestInfo {
  std::string digest;      // sha256 of the bytes (equal to the registry's Docker-Content-Digest)
  std::string media_type;  // the response's Content-Type
  long size = 0;
};

struct Manifest {
  ManifestInfo info;
  std::string bytes;  // exactly as served: the digest is over these
};

class RegistryClient {
 public:
  // `base_url` like "http://127.0.0.1:5000" (no trailing slash needed).
  explicit RegistryClient(std::string base_url, HttpOptions options = {});

  // The manifest's digest and type by tag or digest; nullopt when the registry says 404.
  Result<std::optional<ManifestInfo>> head_manifest(std::string_view repo, std::string_view reference);
  // Fetches and verifies: sha256(bytes) must equal Docker-Content-Digest (when sent) and, when
  // `reference` is a digest, the reference itself (kCorrupt otherwise). kNotFound on 404.
  Result<Manifest> get_manifest(std::string_view repo, std::string_view reference);
  // PUTs `bytes` under `reference` (a tag, or its own digest); returns the digest after checking that
  // the registry's Docker-Content-Digest equals sha256(bytes).
  Result<std::string> put_manifest(std::string_view repo, std::string_view reference, std::string_view bytes,
                                   std::string_view media_type);

  Result<bool> blob_exists(std::string_view repo, std::string_view digest);
  // Fetches a blob and checks its sha256 (kCorrupt on mismatch, kNotFound on 404).
  Result<std::string> get_blob(std::string_view repo, std::string_view digest);
  // Uploads `bytes` unless already present (POST …/blobs/uploads/, then PUT <location>?digest=); returns the
  // digest.
  Result<std::string> push_blob(std::string_view repo, std::string_view bytes);

  const std::string& base_url() const { return base_; }

 private:
  std::string url(std::string_view repo, std::string_view kind, std::string_view ref) const;
  std::string base_;
  HttpOptions options_;
};

// The Accept header sent for manifests: Docker v2 schema 2, Docker list, OCI manifest and OCI index.
std::string manifest_accept_header();

}  // namespace lucid::oci
