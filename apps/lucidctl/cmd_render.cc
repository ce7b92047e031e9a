// `lucidctl render`: the resolved compose of one cluster (--cluster ID [REPO]) or of a bare compose
// file with Compose's own flags (-f FILE [--env-file F]… [--profile P]… [--project-directory D]).
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "lucid/render/render.h"
#include "lucid/sops/sops_keys.h"
#include "lucid/sops/sops_resolver.h"

extern char** environ;

namespace lucidctl {

void register_render(CLI::App& app, Context& ctx) {
  struct Options {
    std::string cluster, repo = ".", file, project_dir, identity;
    std::vector<std::string> env_files, profiles;
    bool json = false, hash = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("render", "Print the resolved compose for a cluster or a compose file");
  cmd->add_option("--cluster", opt->cluster, "Cluster id from clusters/clusters.yaml");
  cmd->add_option("repo", opt->repo, "Config repo (default .)");
  cmd->add_option("-f,--file", opt->file, "A compose file (Compose's flag)");
  cmd->add_option("--env-file", opt->env_files, "Environment file(s); later ones override earlier ones");
  cmd->add_option("--profile", opt->profiles, "Profile(s) to enable");
  cmd->add_option("--project-directory", opt->project_dir,
                  "Project directory (default: the file's directory)");
  cmd->add_option("--identity", opt->identity,
                  "age identity file for enc:sops references (else $AGE_PRIVATE_KEY / $SOPS_AGE_KEY_FILE)");
  cmd->add_flag("--json", opt->json, "Print canonical JSON instead of YAML");
  cmd->add_flag("--hash", opt->hash, "Print only the content hash");
  cmd->callback([opt, &ctx] {
    if (opt->cluster.empty() == opt->file.empty()) {
      fmt::print(stderr, "lucidctl render: give exactly one of --cluster ID or -f FILE\n");
      ctx.exit_code = 2;
      return;
    }
    lucid::render::LeaveReferences secrets;
    lucid::Result<lucid::render::Plan> plan;
    if (!opt->cluster.empty()) {
      // With the site's age key, enc:sops references resolve from secrets/ (values stay in memory).
      auto ids = lucid::sops::sops_load_identities(
          opt->identity.empty() ? std::nullopt : std::optional<std::filesystem::path>(opt->identity));
      if (!ids) {
        fmt::print(stderr, "lucidctl render: {}\n", ids.error().message);
        ctx.exit_code = 2;
        return;
      }
      std::optional<lucid::sops::SopsSecretResolver> sops;
      if (*ids) sops.emplace(std::filesystem::path(opt->repo) / "secrets", std::move(**ids));
      plan = lucid::render::render_cluster(
          opt->repo, opt->cluster, sops ? static_cast<lucid::render::SecretResolver&>(*sops) : secrets);
    } else {
      lucid::render::RenderOptions ro;
      ro.compose_file = opt->file;
      ro.project_dir = opt->project_dir;
      for (const auto& e : opt->env_files) ro.env_files.emplace_back(e);
      ro.profiles = opt->profiles;
      for (char** e = environ; e && *e; ++e) {  // Compose lets the shell environment win
        std::string kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string::npos) ro.process_env[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      plan = lucid::render::render_file(ro, secrets);
    }
    if (!plan) {
      fmt::print(stderr, "lucidctl render: {}\n", plan.error().message);
      ctx.exit_code = plan.error().kind == lucid::ErrorKind::kInvalidArgument ? 1 : 2;
      return;
    }
    for (const auto& w : plan->warnings) fmt::print(stderr, "WARNING: {}\n", w);
    if (opt->hash)
      fmt::print("{}\n", plan->content_hash);
    else if (opt->json)
      fmt::print("{}\n", plan->json);
    else
      fmt::print("{}", plan->yaml);
    ctx.exit_code = 0;
  });
}

}  // namespace lucidctl
