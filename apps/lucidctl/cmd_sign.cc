// `lucidctl sign IMAGE@DIGEST --key FILE [--registry URL]`: signs an image already in the registry with
// cosign's legacy layout (simple-signing payload, `.sig` tag). The key is read from a file, never argv.
#include <fmt/format.h>

#include "cmd_verify.h"
#include "command.h"
#include "lucid/supply/image_ref.h"
#include "lucid/supply/image_signature.h"
#include "lucid/supply/oci_manifest.h"

namespace lucidctl {
namespace {

struct SignArgs {
  std::string image, key, registry;
};

int run_sign(const SignArgs& a) {
  namespace sp = lucid::supply;
  auto ref = sp::parse_image_ref(a.image);
  if (!ref || ref->digest.empty()) {
    fmt::print(stderr, "lucidctl sign: {}: give IMAGE@sha256:<digest>\n", a.image);
    return 2;
  }
  std::string url = registry_url(a.registry, ref->registry);
  if (url.empty()) {
    fmt::print(stderr, "lucidctl sign: {}: no registry in the reference; give --registry URL\n", a.image);
    return 2;
  }
  auto key = sp::PrivateKey::load(a.key);
  if (!key) {
    fmt::print(stderr, "lucidctl sign: {}\n", key.error().message);
    return 2;
  }
  sp::RegistryClient client(url);
  auto head = client.head_manifest(ref->repository, ref->digest);
  if (!head || !*head) {
    fmt::print(stderr, "lucidctl sign: {}: {}\n", a.image,
               head ? std::string("digest not in the registry ") + url : head.error().message);
    return 1;
  }
  auto sig = sp::sign_image(client, ref->repository, ref->digest, ref->name(), *key);
  if (!sig) {
    fmt::print(stderr, "lucidctl sign: {}: {}\n", a.image, sig.error().message);
    return 1;
  }
  fmt::print("signed {}@{}: {}:{} ({})\n", ref->name(), ref->digest, ref->repository,
             sp::cosign_tag(ref->digest, ".sig"), *sig);
  return 0;
}

}  // namespace

void register_sign(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SignArgs>();
  auto* cmd = app.add_subcommand("sign", "Sign IMAGE@DIGEST in its registry (cosign legacy .sig layout)");
  cmd->add_option("image", a->image, "Image reference pinned by digest")->required();
  cmd->add_option("--key", a->key, "ECDSA P-256 private key file (lucidctl keys gen)")->required();
  cmd->add_option("--registry", a->registry,
                  "Registry URL to talk to (default: the reference's registry, or $LUCID_REGISTRY)");
  cmd->footer("Exit: 0 signed, 1 the registry refused or lacks the digest, 2 usage or key error.");
  cmd->callback([a, &ctx] { ctx.exit_code = run_sign(*a); });
}

}  // namespace lucidctl
