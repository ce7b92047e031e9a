#include "lucid/sops/sops_keys.h"

#include <cstdlib>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/secret.h"
#include "lucid/base/secret_env.h"

namespace lucid::sops {
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

// Key text taken out of the environment (take_secret_env), wiped when it goes out of scope.
struct TakenKey {
  const char* var;
  std::optional<std::string> text;
  explicit TakenKey(const char* name) : var(name), text(take_secret_env(name)) {}
  ~TakenKey() {
    if (text) secure_zero(*text);
  }
  TakenKey(const TakenKey&) = delete;
  TakenKey& operator=(const TakenKey&) = delete;
};

}  // namespace

Result<std::optional<std::vector<crypto::X25519Identity>>> sops_load_identities(
    const std::optional<std::filesystem::path>& identity_file) {
  using Out = std::optional<std::vector<crypto::X25519Identity>>;
  // Both key variables leave the environment now, whichever source is used, so no child process
  // (git, Compose, $EDITOR) and no reader of /proc/<pid>/environ can find them later.
  TakenKey taken[] = {TakenKey("AGE_PRIVATE_KEY"), TakenKey("SOPS_AGE_KEY")};
  if (identity_file) {
    auto ids = from_file(*identity_file, "--identity");
    if (!ids) return std::unexpected(ids.error());
    return Out(std::move(*ids));
  }
  for (auto& key : taken) {
    if (!key.text || key.text->empty()) continue;
    auto ids = from_text(*key.text, fmt::format("${}", key.var));
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

}  // namespace lucid::sops
