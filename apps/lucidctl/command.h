// How lucidctl's subcommands plug in: each cmd_<name>.cc defines one register function that adds
// its subcommand to the app and sets a callback; main.cc calls them all. Callbacks store their
// exit code in `exit_code` (0 ok, 1 findings/refusal, 2 usage or I/O error).
#pragma once

#include <CLI/CLI.hpp>

namespace lucidctl {

struct Context {
  int exit_code = 0;
};

// One line per subcommand family; keep the list in main.cc in the same order.
void register_version(CLI::App& app, Context& ctx);
void register_render(CLI::App& app, Context& ctx);
void register_lint(CLI::App& app, Context& ctx);
void register_plan(CLI::App& app, Context& ctx);
void register_verify(CLI::App& app, Context& ctx);
void register_keys(CLI::App& app, Context& ctx);
void register_secrets(CLI::App& app, Context& ctx);
void register_build(CLI::App& app, Context& ctx);
void register_sign(CLI::App& app, Context& ctx);
void register_gate(CLI::App& app, Context& ctx);
void register_reconcile(CLI::App& app, Context& ctx);
void register_wave(CLI::App& app, Context& ctx);
void register_console(CLI::App& app, Context& ctx);
void register_accept(CLI::App& app, Context& ctx);

}  // namespace lucidctl
