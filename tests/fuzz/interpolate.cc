// libFuzzer target: Compose interpolation in both dialects. The first byte picks the dialect; the
// rest is the template, interpolated against a small fixed environment.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "lucid/render/interpolate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto dialect = (data[0] & 1) ? lucid::render::Dialect::kComposeSpec : lucid::render::Dialect::kCompose129;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  static const lucid::render::Environment env = {{"A", "alpha"}, {"EMPTY", ""}, {"D", "$NOT_EXPANDED"}};
  std::set<std::string> unset;
  auto out = lucid::render::interpolate(text, env, dialect, &unset);
  // Without any '$' the text is returned unchanged.
  if (text.find('$') == std::string_view::npos && (!out || *out != text)) __builtin_trap();
  return 0;
}
