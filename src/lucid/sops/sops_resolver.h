// The render SecretResolver backed by SOPS: `enc:sops:<file>#<path>` is read from <secrets dir>/<file>
// and decrypted with the site's identities. Plaintext stays in memory (wiped on destruction).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lucid/crypto/age_keys.h"
#include "lucid/render/render.h"
#include "lucid/sops/sops_file.h"

namespace lucid::sops {

class SopsSecretResolver final : public render::SecretResolver {
 public:
  SopsSecretResolver(std::filesystem::path secrets_dir, std::vector<crypto::X25519Identity> identities);
  // The value, or an error naming the reference (never a value): unreadable or non-SOPS file, wrong
  // key, failed MAC, missing path, or a path that is not a scalar.
  Result<std::optional<std::string>> resolve(const fleet::SecretRef& ref) override;

 private:
  std::filesystem::path dir_;
  std::vector<crypto::X25519Identity> identities_;
  std::map<std::string, std::unique_ptr<SopsPlain>> files_;  // decrypted once per render
};

}  // namespace lucid::sops
