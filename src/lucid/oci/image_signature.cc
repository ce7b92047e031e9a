#include "lucid/oci/image_signature.h"

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/oci/oci_manifest.h"
#include "lucid/oci/simple_signing.h"

namespace lucid::oci {

Result<std::string> sign_image(RegistryClient& client, std::string_view repo, std::string_view digest,
                               std::string_view docker_reference, const PrivateKey& key) {
  std::string payload = simple_signing_payload(docker_reference, digest);
  auto sig = key.sign(std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  if (!sig) return std::unexpected(sig.error());
  Descriptor layer = describe(kSimpleSigningMediaType, payload);
  layer.annotations[std::string(kCosignSignatureAnnotation)] = base64_encode(*sig);

  std::string tag = cosign_tag(digest, ".sig");
  std::vector<Descriptor> keep;
  auto existing = client.get_manifest(repo, tag);
  if (existing) {
    auto m = parse_manifest(existing->bytes);
    if (!m) return std::unexpected(with_context(fmt::format("{}:{}", repo, tag), m.error()));
    // Every signer's layer is kept (same payload, different signature annotations); only an identical
    // layer (same key signing twice with a deterministic signature) would be a duplicate.
    for (const auto& l : m->layers)
      if (l.digest != layer.digest || l.annotations != layer.annotations) keep.push_back(l);
  } else if (existing.error().kind != ErrorKind::kNotFound) {
    return std::unexpected(existing.error());
  }
  return push_artifact(client, repo, tag, keep, layer, payload);
}

Result<std::vector<CosignSignature>> fetch_image_signatures(RegistryClient& client, std::string_view repo,
                                                            std::string_view digest) {
  std::string tag = cosign_tag(digest, ".sig");
  std::vector<CosignSignature> out;
  auto manifest = client.get_manifest(repo, tag);
  if (!manifest) return std::unexpected(manifest.error());
  auto m = parse_manifest(manifest->bytes);
  if (!m) return fail(ErrorKind::kInvalidArgument, fmt::format("{}:{}: {}", repo, tag, m.error().message));
  for (const auto& l : m->layers) {
    if (l.media_type != kSimpleSigningMediaType) continue;
    auto it = l.annotations.find(std::string(kCosignSignatureAnnotation));
    if (it == l.annotations.end()) continue;
    auto payload = client.get_blob(repo, l.digest);
    if (!payload) return std::unexpected(payload.error());
    out.push_back(CosignSignature{std::move(*payload), it->second});
  }
  return out;
}

Result<CosignVerified> verify_image_signature(RegistryClient& client, std::string_view repo,
                                              std::string_view digest, const SignerKeys& keys,
                                              std::string_view image) {
  auto sigs = fetch_image_signatures(client, repo, digest);
  if (!sigs && sigs.error().kind == ErrorKind::kNotFound)  // no `.sig` tag: "none found"
    return verify_cosign_signatures({}, digest, keys, image);
  if (!sigs) return std::unexpected(with_context(fmt::format("{}: signature", image), sigs.error()));
  return verify_cosign_signatures(*sigs, digest, keys, image);
}

}  // namespace lucid::oci
