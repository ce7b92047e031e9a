#include "lucid/supply/sbom_attachment.h"

#include <fmt/format.h>

#include "lucid/supply/oci_manifest.h"

namespace lucid::supply {

Result<std::string> attach_sbom(RegistryClient& client, std::string_view repo, std::string_view digest,
                                std::string_view spdx_json) {
  return push_artifact(client, repo, cosign_tag(digest, ".sbom"), {}, describe(kSpdxJsonMediaType, spdx_json),
                       spdx_json);
}

Result<std::string> fetch_sbom(RegistryClient& client, std::string_view repo, std::string_view digest) {
  std::string tag = cosign_tag(digest, ".sbom");
  auto manifest = client.get_manifest(repo, tag);
  if (!manifest) {
    if (manifest.error().kind == ErrorKind::kNotFound)
      return fail(ErrorKind::kNotFound,
                  fmt::format("{}@{}: sbom: none attached (no tag {})", repo, digest, tag));
    return std::unexpected(manifest.error());
  }
  auto m = parse_manifest(manifest->bytes);
  if (!m) return std::unexpected(with_context(fmt::format("{}:{}", repo, tag), m.error()));
  for (const auto& l : m->layers)
    if (l.media_type == kSpdxJsonMediaType) return client.get_blob(repo, l.digest);
  return fail(ErrorKind::kNotFound, fmt::format("{}:{}: sbom: no {} layer", repo, tag, kSpdxJsonMediaType));
}

}  // namespace lucid::supply
