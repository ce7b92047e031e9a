// What the reconciler's end-to-end suites share: the skip checks for the engine and tools, a
// signed config repo (an SSH commit key, its allowed_signers file, a bare remote and a work tree),
// the default ReconcileConfig of a test cluster, the hardening and plane networks the deploy gates
// require of a compose file, and the teardown of a compose project.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "gitsig/ssh_tools.h"
#include "lucid/reconcile/reconciler.h"

namespace lucid::testing {

// Why a reconcile e2e test cannot run here (no engine, no Compose, no git/ssh-keygen), or "".
std::string reconcile_e2e_skip_reason();

// What the reconciler's lint gate requires of every service (hardening/*), as deploy/'s carry it:
// lines to put under a service.
inline constexpr const char* kHardenedService =
    "    user: \"10001:10001\"\n"
    "    read_only: true\n"
    "    cap_drop: [ALL]\n"
    "    security_opt: [\"no-new-privileges:true\"]\n";

// The plane networks the lint gate requires (planes/internal): a top-level `networks:` block.
inline constexpr const char* kPlaneNetworks =
    "networks:\n"
    "  ops: {internal: true}\n"
    "  chain: {internal: true}\n"
    "  wallet: {internal: true}\n";

// A config repo under `dir`: `key` signs commits (listed in `allowed_signers`, namespace git), the
// remote is the bare repository `remote`, commits are made in `work`.
struct SignedConfigRepo {
  explicit SignedConfigRepo(const std::filesystem::path& dir);
  gitsig::testing_tools::TestKey key;
  std::filesystem::path allowed_signers, remote, work;

  std::string url() const { return "file://" + remote.string(); }
  // Commits `files` (signed when `sign`) and force-pushes the work tree's HEAD to `branch`.
  std::string push(const std::vector<std::pair<std::string, std::string>>& files, const std::string& message,
                   bool sign = true, const std::string& branch = "main") const;
};

// A test cluster's configuration: `repo`'s remote, state under `state_dir`, apply and health
// timeouts for a loaded machine, health fail-fast.
reconcile::ReconcileConfig test_config(const std::string& cluster, const SignedConfigRepo& repo,
                                       const std::filesystem::path& state_dir);

// Removes compose project `project`: its containers, networks and volumes.
void remove_project(const std::string& project);

}  // namespace lucid::testing
