// `lucidctl sign IMAGE@DIGEST --key FILE [--sbom SPDX.json] [--registry URL]`: signs an image already in
// the registry with cosign's legacy layout (simple-signing payload, `.sig` tag) and, with --sbom, attests
// the SPDX document for it (signed in-toto statement under `.att`). The key is read from a file, never argv.
#include <fmt/format.h>

#include "cmd_verify.h"
#include "command.h"
#include "lucid/base/files.h"
#include "lucid/oci/image_ref.h"
#include "lucid/oci/image_signature.h"
#include "lucid/oci/oci_manifest.h"
#include "lucid/oci/sbom_attachment.h"
#include "lucid/sbom/spdx.h"

namespace lucidctl {
namespace {

struct SignArgs {
  std::string image, key, registry, sbom;
};

int run_sign(const SignArgs& a) {
  namespace oci = lucid::oci;
  auto ref = oci::parse_image_ref(a.image);
  if (!ref || ref->digest.empty()) {
    fmt::print(stderr, "lucidctl sign: {}: give IMAGE@sha256:<digest>\n", a.image);
    return 2;
  }
  std::string url = registry_url(a.registry, ref->registry);
  if (url.empty()) {
    fmt::print(stderr, "lucidctl sign: {}: no registry in the reference; give --registry URL\n", a.image);
    return 2;
  }
  auto key = oci::PrivateKey::load(a.key);
  if (!key) {
    fmt::print(stderr, "lucidctl sign: {}\n", key.error().message);
    return 2;
  }
  // The SBOM is checked before anything is written, so a bad file leaves the registry untouched.
  std::string sbom;
  if (!a.sbom.empty()) {
    auto text = lucid::read_text_file(a.sbom);
    if (!text) {
      fmt::print(stderr, "lucidctl sign: --sbom {}: {}\n", a.sbom, text.error().message);
      return 2;
    }
    if (auto parsed = lucid::sbom::parse_spdx(*text); !parsed) {
      fmt::print(stderr, "lucidctl sign: --sbom {}: {} (give an SPDX 2.3 JSON document)\n", a.sbom,
                 parsed.error().message);
      return 2;
    }
    sbom = std::move(*text);
  }
  oci::RegistryClient client(url);
  auto head = client.head_manifest(ref->repository, ref->digest);
  if (!head || !*head) {
    fmt::print(stderr, "lucidctl sign: {}: {}\n", a.image,
               head ? std::string("digest not in the registry ") + url : head.error().message);
    return 1;
  }
  auto sig = oci::sign_image(client, ref->repository, ref->digest, ref->name(), *key);
  if (!sig) {
    fmt::print(stderr, "lucidctl sign: {}: {}\n", a.image, sig.error().message);
    return 1;
  }
  fmt::print("signed {}@{}: {}:{} ({})\n", ref->name(), ref->digest, ref->repository,
             oci::cosign_tag(ref->digest, ".sig"), *sig);
  if (sbom.empty()) return 0;
  auto att = oci::attest_sbom(client, ref->repository, ref->digest, ref->name(), sbom, *key);
  if (!att) {
    fmt::print(stderr, "lucidctl sign: {}: sbom: {}\n", a.image, att.error().message);
    return 1;
  }
  fmt::print("attested SBOM {}@{}: {}:{} ({})\n", ref->name(), ref->digest, ref->repository,
             oci::cosign_tag(ref->digest, ".att"), *att);
  return 0;
}

}  // namespace

void register_sign(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SignArgs>();
  auto* cmd = app.add_subcommand(
      "sign", "Sign IMAGE@DIGEST in its registry (cosign .sig layout; --sbom attests its SBOM)");
  cmd->add_option("image", a->image, "Image reference pinned by digest")->required();
  cmd->add_option("--key", a->key, "ECDSA P-256 private key file (lucidctl keys gen)")->required();
  cmd->add_option("--sbom", a->sbom,
                  "SPDX JSON SBOM of the image: attested (signed in-toto statement, cosign's .att layout)");
  cmd->add_option("--registry", a->registry,
                  "Registry URL to talk to (default: the reference's registry, or $LUCID_REGISTRY)");
  cmd->footer("Exit: 0 signed, 1 the registry refused or lacks the digest, 2 usage or key error.");
  cmd->callback([a, &ctx] { ctx.exit_code = run_sign(*a); });
}

}  // namespace lucidctl
