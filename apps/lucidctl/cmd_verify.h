// `lucidctl verify`: one subcommand whose modes are --commit (signed commits, cmd_verify_commit.cc)
// and --cluster (supply chain of a cluster's images, cmd_verify_cluster.cc). Each mode returns an exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lucidctl {

struct VerifyArgs {
  std::optional<std::string> commit;           // --commit REV
  std::optional<std::string> cluster;          // --cluster ID
  std::string repo = ".";                      // [REPO]
  std::optional<std::string> allowed_signers;  // --allowed-signers FILE
  std::optional<std::string> trusted_commit;   // --trusted-commit C
  std::string registry;                        // --registry URL (--cluster)
  std::vector<std::string> services;           // --service NAME (--cluster; empty: all)
  bool json = false;
};

int run_verify_commit(const VerifyArgs& args);
int run_verify_cluster(const VerifyArgs& args);

// The registry mirror's base URL: `flag`, else $LUCID_REGISTRY, else `fallback`; "host:port" gets
// "http://" in front. "" when none is given.
std::string registry_url(const std::string& flag, const std::string& fallback = {});

}  // namespace lucidctl

namespace lucid::imagepolicy {
struct ClusterVerdict;
}

namespace lucidctl {

void print_cluster_verdict(const lucid::imagepolicy::ClusterVerdict& v, const std::string& indent);

}  // namespace lucidctl
