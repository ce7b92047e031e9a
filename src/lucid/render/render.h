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
  std::string project_name;          // recorded in the plan
  // Where `enc:sops:<file>` references point (their ciphertext digests enter the config hashes,
  // plan.h hash_without_secret_values); empty: none. render_cluster uses <repo>/secrets.
  std::filesystem::path secrets_dir;
};

// Renders a bare compose file with Compose's own rules.
Result<Plan> render_file(const RenderOptions& options, SecretResolver& secrets);

// Renders cluster `id` of a config repo: its compose file, selected by the cluster's PROFILES plus
// beta, interpolated from clusters/<id>/.env only (never the process environment).
Result<Plan> render_cluster(const std::filesystem::path& repo, const std::string& cluster_id,
                            SecretResolver& secrets);

}  // namespace lucid::render
