// `lucidctl lint [REPO] [--json]`: loads the config repo and runs every lint rule
// (docs/lint-rules.md). Exit 0 clean (warnings allowed), 1 findings at error level, 2 usage or I/O error.
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lucid/lint/lint.h"

namespace lucidctl {

void register_lint(CLI::App& app, Context& ctx) {
  struct Options {
    std::string repo = ".";
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("lint", "Check a config repo against the lint rules (docs/lint-rules.md)");
  cmd->add_option("repo", opt->repo, "Config repo (default .)");
  cmd->add_flag("--json", opt->json, "Print the findings as a JSON array");
  cmd->callback([opt, &ctx] {
    std::error_code ec;
    if (!std::filesystem::is_directory(opt->repo, ec)) {
      fmt::print(stderr, "lucidctl lint: {} is not a directory\n", opt->repo);
      ctx.exit_code = 2;
      return;
    }
    auto findings = lucid::lint::lint_repo(opt->repo);
    if (opt->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& f : findings) out.push_back(lucid::fleet::to_json(f));
      fmt::print("{}\n", out.dump(2));
    } else {
      for (const auto& f : findings) fmt::print("{}\n", lucid::fleet::to_text(f));
    }
    ctx.exit_code = lucid::fleet::has_errors(findings) ? 1 : 0;
  });
}

}  // namespace lucidctl
