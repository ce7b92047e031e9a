// What a site's acceptance run is judged against: the cluster's profiles, planes and services from
// the config repo at the commit the site runs (the reconciler's last-good commit, exported from
// <state-dir>/mirror.git), or from a checkout the operator names.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::accept {

struct SiteOptions {
  std::string cluster;
  std::filesystem::path state_dir = "/var/lib/lucid";
  // When set, the config repo is read from here instead of the last-good commit of the mirror.
  std::optional<std::filesystem::path> repo_checkout;
};

struct Site {
  std::string cluster;
  std::string project;                // the Compose project, lucid-<cluster>
  std::string commit;                 // last-good commit ("" with a checkout)
  std::string source;                 // "last-good" or "checkout:<dir>"
  std::vector<std::string> profiles;  // clusters.yaml
  std::vector<std::string> planes;  // BETA_PLANES of clusters/<id>/.env (default "ops", as the compose file)
  std::set<std::string> services;   // policies/profiles.yaml: `always` plus every service of the profiles
  std::optional<std::string> acl_yaml;  // policies/acl.yaml, when the repo has one
};

// Splits "ops, chain,wallet" into trimmed non-empty names.
std::vector<std::string> split_list(const std::string& text);

// Reads the site description from a config repo checkout. kNotFound when the cluster is not in
// clusters/clusters.yaml; kInvalidArgument naming the file when a file it needs is unreadable.
Result<Site> read_site(const std::filesystem::path& repo, const std::string& cluster);

// read_site() of the last-good commit (StateStore at <state-dir>/state.db, mirror
// <state-dir>/mirror.git), or of `repo_checkout`. Errors name the store, the cluster and what to do.
Result<Site> load_site(const SiteOptions& options);

}  // namespace lucid::accept
