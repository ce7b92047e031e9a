// Attaching an SPDX SBOM to an image in a registry and reading it back, by cosign's `.sbom` tag
// convention: tag `sha256-<hex>.sbom`, one layer of media type `text/spdx+json` (docs/formats.md).
#pragma once

#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/supply/oci_registry.h"

namespace lucid::supply {

inline constexpr std::string_view kSpdxJsonMediaType = "text/spdx+json";

// Replaces any SBOM attached to `repo@digest`; returns the `.sbom` manifest digest.
Result<std::string> attach_sbom(RegistryClient& client, std::string_view repo, std::string_view digest,
                                std::string_view spdx_json);
// The attached SBOM's bytes (digest-checked); kNotFound when none is attached.
Result<std::string> fetch_sbom(RegistryClient& client, std::string_view repo, std::string_view digest);

}  // namespace lucid::supply
