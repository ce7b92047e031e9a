// `lucidctl keys gen`: a cosign-compatible ECDSA P-256 image signing key pair. The private key is
// written PKCS#8 PEM, mode 0600, whole or nothing; only the public key is ever printed.
#include <fmt/format.h>

#include "command.h"
#include "lucid/oci/signing_key.h"

namespace lucidctl {

void register_keys(CLI::App& app, Context& ctx) {
  auto* keys = app.add_subcommand("keys", "Image signing keys (cosign-compatible, ECDSA P-256)");
  keys->require_subcommand(1);
  auto* gen = keys->add_subcommand(
      "gen", "Generate a key pair: PRIVATE (PKCS#8 PEM, 0600) and PUBLIC (PEM PUBLIC KEY)");
  struct Options {
    std::string out = "cosign";
  };
  auto opts = std::make_shared<Options>();
  gen->add_option("--out", opts->out,
                  "Path prefix: writes <out>.key and <out>.pub (refuses to overwrite); commit <out>.pub to "
                  "policies/signers/")
      ->capture_default_str();
  gen->callback([opts, &ctx] {
    std::string priv = opts->out + ".key";
    std::string pub = opts->out + ".pub";
    auto key = lucid::oci::generate_key_files(priv, pub);
    if (!key) {
      fmt::print(stderr, "lucidctl keys gen: {}\n", key.error().message);
      ctx.exit_code = 2;
      return;
    }
    fmt::print("wrote {} (private, 0600) and {} (public, {})\n{}", priv, pub, key->algorithm(), key->pem());
  });
}

}  // namespace lucidctl
