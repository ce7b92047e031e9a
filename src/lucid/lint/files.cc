// compose/missing-file: files the compose file refers to (env_file, extends.file) exist, relative
// to the compose file's directory as Compose resolves them.
#include <filesystem>

#include <fmt/format.h>

#include "lucid/lint/checks.h"

namespace lucid::lint {

void check_files(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  namespace fs = std::filesystem;
  fs::path dir = (ctx.model.repo / ctx.model.compose->path).parent_path();
  auto check = [&](const fleet::Service& s, const fleet::LString& f, const char* what) {
    if (f.value.empty() || f.value.find('$') != std::string::npos) return;  // interpolated: render checks it
    fs::path p = fs::path(f.value).is_absolute() ? fs::path(f.value) : dir / f.value;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec))
      sink.add(f.mark, "compose/missing-file",
               fmt::format("service '{}': {} '{}' does not exist", s.name, what, f.value),
               "paths are relative to the compose file's directory; create the file or fix the path");
  };
  for (const auto& s : ctx.model.compose->services) {
    for (const auto& f : s.env_file) check(s, f, "env_file");
    if (s.extends_file) check(s, *s.extends_file, "extends file");
  }
}

}  // namespace lucid::lint
