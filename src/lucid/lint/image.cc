// image/unpinned: every image is pinned by digest (`…@sha256:` and 64 lowercase hex digits).
#include <fmt/format.h>

#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

bool pinned(const std::string& image) {
  auto at = image.rfind("@sha256:");
  if (at == std::string::npos || at == 0) return false;
  std::string_view hex = std::string_view(image).substr(at + 8);
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

void check_image(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  constexpr const char* kHint =
      "pin by digest: <registry>/<name>@sha256:<64 hex> (lucidctl build rewrites them)";
  for (const auto& s : ctx.model.compose->services) {
    if (!s.image)
      sink.add(s.mark, "image/unpinned", fmt::format("service '{}' has no image", s.name), kHint);
    else if (!pinned(s.image->value))
      sink.add(s.image->mark, "image/unpinned",
               fmt::format("service '{}': image '{}' is not pinned by digest", s.name, s.image->value),
               kHint);
  }
}

}  // namespace lucid::lint
