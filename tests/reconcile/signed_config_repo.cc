#include "signed_config_repo.h"

#include <fstream>

#include "lucid/engine/compose_apply.h"
#include "testing/docker.h"

namespace lucid::testing {

namespace fs = std::filesystem;
namespace tt = gitsig::testing_tools;
using namespace std::chrono_literals;

std::string reconcile_e2e_skip_reason() {
  if (std::string why = ensure_docker(); !why.empty()) return "no Docker engine: " + why;
  if (auto tool = engine::find_compose(); !tool) return tool.error().message + " (run scripts/bootstrap)";
  if (std::string why = tt::missing_tools(); !why.empty()) return why + " (run scripts/bootstrap)";
  return {};
}

SignedConfigRepo::SignedConfigRepo(const fs::path& dir)
    : key(tt::make_key(dir, "signer", "ed25519")),
      allowed_signers(dir / "allowed_signers"),
      remote(dir / "remote.git"),
      work(dir / "work") {
  std::ofstream(allowed_signers) << "ops@lucid namespaces=\"git\" " << key.public_text << "\n";
  tt::git(dir, {"init", "-q", "--bare", remote.string()});
  tt::init_repo(work);
}

std::string SignedConfigRepo::push(const std::vector<std::pair<std::string, std::string>>& files,
                                   const std::string& message, bool sign, const std::string& branch) const {
  std::string id = tt::commit(work, message, sign ? &key : nullptr, files);
  tt::git(work, {"push", "-q", "--force", remote.string(), "HEAD:refs/heads/" + branch});
  return id;
}

reconcile::ReconcileConfig test_config(const std::string& cluster, const SignedConfigRepo& repo,
                                       const fs::path& state_dir) {
  reconcile::ReconcileConfig c;
  c.cluster = cluster;
  c.repo_url = repo.url();
  c.branch = "main";
  c.state_dir = state_dir;
  c.apply.timeout = 120s;
  c.health.timeout = 30s;
  c.health.fail_fast = true;
  return c;
}

void remove_project(const std::string& project) {
  engine::ApplyOptions o;
  o.timeout = 60s;
  (void)engine::down(project, o);
  remove_project_containers(project);
  // `down` keeps volumes: remove the project's own.
  auto volumes = docker({"volume", "ls", "-q", "--filter", "label=com.docker.compose.project=" + project});
  std::vector<std::string> rm{"volume", "rm", "-f"};
  std::size_t start = 0;
  for (std::size_t nl; (nl = volumes.out.find('\n', start)) != std::string::npos; start = nl + 1)
    if (nl > start) rm.push_back(volumes.out.substr(start, nl - start));
  if (rm.size() > 3) docker(rm);
}

}  // namespace lucid::testing
