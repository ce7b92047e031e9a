#include <fmt/format.h>

#include "command.h"
#include "lucid/version.h"

namespace lucidctl {

void register_version(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("version", "Print lucidctl's version");
  cmd->callback([&ctx] {
    fmt::print("lucidctl {}\n", lucid::kLucidVersion);
    ctx.exit_code = 0;
  });
}

}  // namespace lucidctl
