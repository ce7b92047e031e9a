#include "lucid/supply/sops_keys.h"

#include <cstdlib>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/secret.h"

namespace lucid::supply {
namespace {

Result<std::vector<crypto::X25519Identity>> from_text(std::string& text, const std::string& source) {
  auto ids = crypto::parse_age_identity_file(text);
  secure_zero(text);
  if (!ids) return fail(ErrorKind::kInvalidArgument, fmt::format("{}: {}", source, ids.error().message));
  return ids;
}

Result<std::vector<crypto::X25519Identity>> from_file(const std::filesystem::path& path,
                                                      const std::string& source) {
  auto text = read_text_file(path);
  if (!text)
    return fail(text.error().kind,
                fmt::format("{}: cannot read the identity file {}", source, path.string()));
  return from_text(*text, source + " (" + path.string() + ")");
}

}  // namespace

Result<std::optional<std::vector<crypto::X25519Identity>>> sops_load_identities(
    const std::optional<std::filesystem::path>& identity_file) {
  using Out = std::optional<std::vector<crypto::X25519Identity>>;
  if (identity_file) {
    auto ids = from_file(*identity_file, "--identity");
    if (!ids) return std::unexpected(ids.error());
    return Out(std::move(*ids));
  }
  for (const char* var : {"AGE_PRIVATE_KEY", "SOPS_AGE_KEY"}) {
    const char* v = std::getenv(var);
    if (v == nullptr || *v == '\0') continue;
    std::string text(v);
    auto ids = from_text(text, fmt::format("${}", var));
    if (!ids) return std::unexpected(ids.error());
    return Out(std::move(*ids));
  }
  if (const char* f = std::getenv("SOPS_AGE_KEY_FILE"); f != nullptr && *f != '\0') {
    auto ids = from_file(f, "$SOPS_AGE_KEY_FILE");
    if (!ids) return std::unexpected(ids.error());
    return Out(std::move(*ids));
  }
  return Out();
}

}  // namespace lucid::supply
