// `lucidctl verify`: one subcommand whose modes are --commit (signed commits, cmd_verify_commit.cc)
// and --cluster (supply chain of a cluster's plan, not implemented yet). Each mode returns an exit code.
#pragma once

#include <optional>
#include <string>

namespace lucidctl {

struct VerifyArgs {
  std::optional<std::string> commit;           // --commit REV
  std::optional<std::string> cluster;          // --cluster ID
  std::string repo = ".";                      // [REPO]
  std::optional<std::string> allowed_signers;  // --allowed-signers FILE
  std::optional<std::string> trusted_commit;   // --trusted-commit C
  bool json = false;
};

int run_verify_commit(const VerifyArgs& args);

}  // namespace lucidctl
