// lucidctl: the GitOps console's command line (SPEC-4). Thin: each subcommand lives in its own
// cmd_<name>.cc and calls into a module; this file only assembles them and maps parse errors.
#include <fmt/format.h>

#include "command.h"
#include "lucid/base/process_hardening.h"
#include "lucid/version.h"

int main(int argc, char** argv) {
  // Keys live in this process: no core file, no same-user ptrace or /proc/<pid>/mem reads
  // (docs/operations.md "Secrets in memory").
  if (auto hardened = lucid::harden_process(); !hardened) {
    fmt::print(stderr, "lucidctl: {}\n", hardened.error().message);
    return 2;
  }
  CLI::App app{fmt::format(
      "lucidctl {} — lint, render, build, verify and reconcile Lucid clusters from one config repo (SPEC-4)",
      lucid::kLucidVersion)};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(lucid::kLucidVersion));
  app.footer(
      "EXIT STATUS\n"
      "  0  success\n"
      "  1  findings at error level, a refused verification, or a failed check\n"
      "  2  usage error, unreadable input or I/O error\n");

  lucidctl::Context ctx;
  lucidctl::register_version(app, ctx);
  lucidctl::register_render(app, ctx);
  lucidctl::register_lint(app, ctx);
  lucidctl::register_plan(app, ctx);
  lucidctl::register_verify(app, ctx);
  lucidctl::register_keys(app, ctx);
  lucidctl::register_secrets(app, ctx);
  lucidctl::register_build(app, ctx);
  lucidctl::register_sign(app, ctx);
  lucidctl::register_gate(app, ctx);
  lucidctl::register_reconcile(app, ctx);
  lucidctl::register_wave(app, ctx);
  lucidctl::register_console(app, ctx);
  lucidctl::register_accept(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return ctx.exit_code;
}
