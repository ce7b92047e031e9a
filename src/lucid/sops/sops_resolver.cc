#include "lucid/sops/sops_resolver.h"

#include <fmt/format.h>

#include "lucid/base/files.h"

namespace lucid::sops {

SopsSecretResolver::SopsSecretResolver(std::filesystem::path secrets_dir,
                                       std::vector<crypto::X25519Identity> identities)
    : dir_(std::move(secrets_dir)), identities_(std::move(identities)) {}

Result<std::optional<std::string>> SopsSecretResolver::resolve(const fleet::SecretRef& ref) {
  std::string what = ref.text();
  if (ref.file.empty() || ref.file.find('/') != std::string::npos || ref.file == "..")
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: the file must be a plain name under secrets/", what));
  auto it = files_.find(ref.file);
  if (it == files_.end()) {
    std::filesystem::path path = dir_ / ref.file;
    std::string name = "secrets/" + ref.file;
    auto text = read_text_file(path);
    if (!text) return fail(ErrorKind::kNotFound, fmt::format("{}: {} cannot be read", what, name));
    auto file = sops_parse(*text, sops_format_for(path), name);
    if (!file) return std::unexpected(with_context(what, file.error()));
    auto plain = sops_decrypt(*file, identities_, name);
    if (!plain) return std::unexpected(with_context(what, plain.error()));
    it = files_.emplace(ref.file, std::make_unique<SopsPlain>(std::move(*plain))).first;
  }
  const SopsNode* n = sops_lookup(it->second->data, ref.path);
  if (n == nullptr)
    return fail(ErrorKind::kNotFound, fmt::format("{}: no key '{}' in secrets/{}", what, ref.path, ref.file));
  if (!n->is_scalar())
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: '{}' is not a scalar", what, ref.path));
  if (n->type == SopsType::kBool) return std::optional<std::string>(n->text == "True" ? "true" : "false");
  return std::optional<std::string>(n->text);
}

}  // namespace lucid::sops
