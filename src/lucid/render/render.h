// Render: a Compose document plus variables → the resolved Compose document that would be applied
// (docker-compose 1.29 semantics: interpolation, env files, extends, profile selection).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/fleet/model.h"
#include "lucid/render/interpolate.h"
#include "lucid/render/plan.h"

namespace lucid::render {

// The one seam to the secrets module: given a reference from a cluster's .env, return its value,
// or nullopt to leave the reference text in place (what LeaveReferences does).
class SecretResolver {
 public:
  virtual ~SecretResolver() = default;
  virtual Result<std::optional<std::string>> resolve(const fleet::SecretRef& ref) = 0;
};

class LeaveReferences final : public SecretResolver {
 public:
  Result<std::optional<std::string>> resolve(const fleet::SecretRef&) override { return std::nullopt; }
};

struct RenderOptions {
  std::filesystem::path compose_file;
  std::filesystem::path project_dir;             // default: the compose file's directory
  std::vector<std::filesystem::path> env_files;  // later files override earlier ones; none: <project>/.env
  bool read_default_env_file = true;
  std::map<std::string, std::string> process_env;  // overrides the env files (as Compose does)
  std::vector<std::string> profiles;
  bool always_include_beta = false;  // Lucid cluster renders: `beta` runs in every profile
  // Lucid cluster renders: variables the config repo gives `beta`, set in its environment after
  // interpolation (values taken literally) and before hashing, so the plan shows them and a change
  // changes beta's config hash (docs/formats.md "Render plan and config hashes").
  std::map<std::string, std::string> beta_environment;
  std::string project_name;  // recorded in the plan
  // Where `enc:sops:<file>` references point (their ciphertext digests enter the config hashes,
  // plan.h hash_without_secret_values); empty: none. render_cluster uses <repo>/secrets.
  std::filesystem::path secrets_dir;
};

// The variables through which a cluster render gives beta the config repo's policies/acl.yaml and
// policies/tunnels.yaml, and the bound on each file.
inline constexpr const char* kBetaAclVariable = "BETA_ACL_POLICY";
inline constexpr const char* kBetaTunnelsVariable = "BETA_TUNNELS";
inline constexpr std::size_t kBetaPolicyMaxBytes = std::size_t{64} * 1024;
// The variable through which a cluster render gives beta the onions other clusters pin
// (BETA_ONION_<PLANE> in their .env), and its bound (one environment string stays far below
// Linux's 128 KiB per string).
inline constexpr const char* kBetaDirectoryVariable = "BETA_DIRECTORY";
inline constexpr std::size_t kBetaDirectoryMaxBytes = std::size_t{64} * 1024;

// Renders a bare compose file with Compose's own rules.
Result<Plan> render_file(const RenderOptions& options, SecretResolver& secrets);

// Renders cluster `id` of a config repo: its compose file, selected by the cluster's PROFILES plus
// beta, interpolated from clusters/<id>/.env only (never the process environment). beta is given
// the repo's policies/acl.yaml as BETA_ACL_POLICY and policies/tunnels.yaml as BETA_TUNNELS when
// the files exist, and the other clusters' onion pins as BETA_DIRECTORY (kBetaDirectoryVariable)
// when any cluster pins one.
Result<Plan> render_cluster(const std::filesystem::path& repo, const std::string& cluster_id,
                            SecretResolver& secrets);

}  // namespace lucid::render
