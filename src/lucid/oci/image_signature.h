// Signing and verifying an image in a registry with cosign's legacy layout: a manifest under tag
// `sha256-<hex>.sig` whose simple-signing layers carry the signature in an annotation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/oci/cosign_verify.h"
#include "lucid/oci/oci_registry.h"
#include "lucid/oci/signing_key.h"

namespace lucid::oci {

inline constexpr std::string_view kSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kCosignSignatureAnnotation = "dev.cosignproject.cosign/signature";

// Signs `repo@digest`: builds the payload for `docker_reference`, signs it and appends a layer to
// the `.sig` manifest (other signatures already there are kept). Returns the `.sig` manifest digest.
Result<std::string> sign_image(RegistryClient& client, std::string_view repo, std::string_view digest,
                               std::string_view docker_reference, const PrivateKey& key);

// The signatures stored for `repo@digest` (payload blobs are digest-checked). kNotFound when there is
// no `.sig` tag; mirror faults as RegistryClient reports them (kIo, kCorrupt); kInvalidArgument when
// the `.sig` manifest is not an image manifest.
Result<std::vector<CosignSignature>> fetch_image_signatures(RegistryClient& client, std::string_view repo,
                                                            std::string_view digest);

// fetch + verify_cosign_signatures (no `.sig` tag: "none found"); `image` names the image in refusals.
Result<CosignVerified> verify_image_signature(RegistryClient& client, std::string_view repo,
                                              std::string_view digest, const SignerKeys& keys,
                                              std::string_view image);

}  // namespace lucid::oci
