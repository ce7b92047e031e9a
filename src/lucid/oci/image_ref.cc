#include "lucid/oci/image_ref.h"

#include <fmt/format.h>

namespace lucid::oci {

bool is_sha256_digest(std::string_view d) {
  if (d.size() != 71 || !d.starts_with("sha256:")) return false;
  for (char c : d.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string ImageRef::name() const {
  return registry.empty() ? repository : registry + "/" + repository;
}

std::string ImageRef::str() const {
  if (!digest.empty()) return name() + "@" + digest;
  return tag.empty() ? name() : name() + ":" + tag;
}

Result<ImageRef> parse_image_ref(std::string_view text) {
  ImageRef r;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    r.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!is_sha256_digest(r.digest))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: digest is not sha256:<64 lower-case hex>", text));
  }
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      r.registry = std::string(first);
      rest = rest.substr(slash + 1);
    }
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    r.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (r.tag.empty()) return fail(ErrorKind::kInvalidArgument, fmt::format("{}: empty tag", text));
  }
  if (rest.empty()) return fail(ErrorKind::kInvalidArgument, fmt::format("{}: no repository", text));
  for (char c : rest)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/'))
      return fail(ErrorKind::kInvalidArgument, fmt::format("{}: repository has character '{}'", text, c));
  r.repository = std::string(rest);
  return r;
}

}  // namespace lucid::oci
