#include <fmt/format.h>

#include "cmd_verify.h"
#include "command.h"

namespace lucidctl {

void register_verify(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand("verify",
                                 "Verify a signed commit (--commit) or a cluster's supply chain (--cluster)");
  cmd->add_option("--commit", args->commit,
                  "Commit to verify: it must carry an SSH signature (namespace git) by an allowed signer");
  cmd->add_option(
      "--cluster", args->cluster,
      "Cluster whose images to verify: pinned, in the mirror, signed, SBOM, inclusion, advisories");
  cmd->add_option("--registry", args->registry,
                  "Registry mirror URL for --cluster (default $LUCID_REGISTRY)");
  cmd->add_option("--service", args->services, "With --cluster: only this service (repeatable)");
  cmd->add_option("repo", args->repo, "The config repository (default: .)");
  auto* file = cmd->add_option("--allowed-signers", args->allowed_signers,
                               "The operator's allowed_signers file: the first trust");
  auto* trusted = cmd->add_option("--trusted-commit", args->trusted_commit,
                                  "A commit already trusted: its policies/allowed_signers decides");
  file->excludes(trusted);
  cmd->add_flag("--json", args->json, "Print the verdict as one JSON object");
  cmd->footer(
      "Exactly one of --commit and --cluster. With --commit, give exactly one of --allowed-signers and\n"
      "--trusted-commit. With --cluster, the images are fetched from --registry or $LUCID_REGISTRY, the\n"
      "mirror serving the compose file's registry name. Exit: 0 accepted, 1 refused, 2 usage or I/O error.");
  cmd->callback([args, &ctx] {
    if (args->commit.has_value() == args->cluster.has_value()) {
      fmt::print(stderr, "lucidctl verify: give exactly one of --commit REV and --cluster ID\n");
      ctx.exit_code = 2;
      return;
    }
    if (args->cluster) {
      ctx.exit_code = run_verify_cluster(*args);
      return;
    }
    ctx.exit_code = run_verify_commit(*args);
  });
}

}  // namespace lucidctl
