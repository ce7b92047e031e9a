// `lucidctl verify --cluster ID`: the supply-chain checks of every image in a cluster's rendered plan —
// pinned by digest, present in the mirror (a moved tag is a warning), signed by a policy key, an SBOM
// in an SPDX attestation signed by a policy key about this digest that holds the inclusion matrix's
// must-include components, no open advisory. Mirror faults are findings marked as no verdict.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/imagepolicy/component_waivers.h"
#include "lucid/oci/cosign_verify.h"
#include "lucid/oci/oci_registry.h"
#include "lucid/sbom/advisory_match.h"
#include "lucid/sbom/inclusion_matrix.h"
#include "lucid/sbom/osv.h"
#include "lucid/sbom/waivers.h"

namespace lucid::imagepolicy {

// The repo's image policy: policies/signers/, inclusion-matrix.yaml, advisories/, waivers.yaml.
struct ImagePolicy {
  oci::SignerKeys signers;
  sbom::InclusionMatrix matrix;
  std::vector<sbom::OsvAdvisory> advisories;
  std::optional<sbom::AdvisoryIndex> index;
  std::vector<sbom::Waiver> waivers;
  std::vector<ComponentWaiver> component_waivers;
  std::string today;  // YYYY-MM-DD, for waiver expiry
};

// Loads the policy files (a missing advisories dir or waivers.yaml means none; a missing signers dir or
// matrix is an error). `today` defaults to the UTC date.
Result<ImagePolicy> load_image_policy(const std::filesystem::path& repo, std::string today = {});

// The check a finding comes from, in the order verify_image runs them.
enum class ImageCheck { kPinned, kMirror, kTag, kSignature, kSbom, kInclusion, kAdvisory };

struct ImageFinding {
  enum class Level { kError, kWarning, kWaived };
  Level level = Level::kError;
  ImageCheck check = ImageCheck::kPinned;
  std::string message;  // one line: "<image>: <check>: <reason>"
  // No verdict on the image: the mirror failed (transport, 5xx/429, damaged bytes) or does not hold
  // the image or its signature/attestation yet (replication lag). Still an error for `lucidctl verify`.
  bool unreachable = false;
};

struct ImageVerdict {
  std::string service;
  std::string image;   // as written in the plan
  std::string digest;  // the pinned digest ("" when unpinned)
  std::string signer;  // the policy key that verified
  std::size_t sbom_packages = 0;
  std::vector<ImageFinding> findings;
  bool ok() const;  // no error-level finding
};

struct ClusterVerdict {
  std::string cluster;
  std::vector<ImageVerdict> images;  // by service name
  bool ok() const;
};

// Checks one image. Never fails: problems are findings (see ImageFinding::unreachable).
ImageVerdict verify_image(oci::RegistryClient& client, const ImagePolicy& policy, std::string_view service,
                          std::string_view image);

// Renders `cluster` of `repo` (secret references left in place) and verifies each service's image.
// `only` limits the services (empty: all). kNotFound for an unknown cluster or service, render errors as is.
Result<ClusterVerdict> verify_cluster_images(const std::filesystem::path& repo, const std::string& cluster,
                                             oci::RegistryClient& client, const ImagePolicy& policy,
                                             const std::vector<std::string>& only = {});

// The names at the JSON boundary (and in messages): "pinned", "mirror", "tag", "signature", "sbom",
// "inclusion", "advisory"; parse_image_check is the inverse (kInvalidArgument for any other text).
std::string_view to_string(ImageCheck check);
Result<ImageCheck> parse_image_check(std::string_view text);
// "error", "warning", "waived"; parse_finding_level is the inverse.
const char* to_string(ImageFinding::Level level);
Result<ImageFinding::Level> parse_finding_level(std::string_view text);
// The verdict as `lucidctl verify --cluster --json` prints it (and the console serves it): cluster, ok,
// images[{service, image, digest, ok, signer, sbom_packages, findings[{level, check, message,
// unreachable}]}].
nlohmann::ordered_json to_json(const ClusterVerdict& v);

}  // namespace lucid::imagepolicy
