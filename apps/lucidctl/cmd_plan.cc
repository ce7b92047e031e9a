// `lucidctl plan --cluster ID [REPO] [--json]`: what applying the rendered cluster would change on
// the local Docker engine (create / recreate / remove / unchanged per service); changes nothing.
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lucid/engine/containers.h"
#include "lucid/render/render.h"

namespace lucidctl {
namespace {

// service → config hash of the containers of `project`; nullopt when no engine answers.
std::optional<std::map<std::string, std::string>> running_services(const std::string& project) {
  lucid::engine::DockerClient docker;
  auto list = lucid::engine::list_project(docker, project);
  if (!list) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& c : *list)
    if (!c.service.empty()) out[c.service] = c.config_hash;
  return out;
}

}  // namespace

void register_plan(CLI::App& app, Context& ctx) {
  struct Options {
    std::string cluster, repo = ".";
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("plan", "Show what applying a cluster would change on the local engine");
  cmd->add_option("--cluster", opt->cluster, "Cluster id")->required();
  cmd->add_option("repo", opt->repo, "Config repo (default .)");
  cmd->add_flag("--json", opt->json, "Print JSON");
  cmd->callback([opt, &ctx] {
    lucid::render::LeaveReferences secrets;
    auto plan = lucid::render::render_cluster(opt->repo, opt->cluster, secrets);
    if (!plan) {
      fmt::print(stderr, "lucidctl plan: {}\n", plan.error().message);
      ctx.exit_code = plan.error().kind == lucid::ErrorKind::kInvalidArgument ? 1 : 2;
      return;
    }
    auto running = running_services(plan->project);
    bool engine = running.has_value();
    std::map<std::string, std::string> state = running.value_or(std::map<std::string, std::string>{});
    nlohmann::json actions = nlohmann::json::array();
    auto add = [&](const std::string& svc, const char* action, const std::string& want,
                   const std::string& have) {
      actions.push_back(
          {{"service", svc}, {"action", action}, {"config_hash", want}, {"running_hash", have}});
    };
    for (const auto& [svc, hash] : plan->service_hashes) {
      auto it = state.find(svc);
      if (it == state.end())
        add(svc, "create", hash, "");
      else
        add(svc, it->second == hash ? "unchanged" : "recreate", hash, it->second);
    }
    for (const auto& [svc, hash] : state)
      if (!plan->service_hashes.contains(svc)) add(svc, "remove", "", hash);
    if (opt->json) {
      nlohmann::json out = {{"project", plan->project},
                            {"content_hash", plan->content_hash},
                            {"engine", engine},
                            {"actions", actions}};
      fmt::print("{}\n", out.dump(2));
    } else {
      if (!engine)
        fmt::print("no Docker engine answers at {}: planning against an empty state\n",
                   lucid::engine::kDefaultDockerSocket);
      fmt::print("project {}  content hash {}\n", plan->project, plan->content_hash);
      for (const auto& a : actions)
        fmt::print("  {:<10} {}\n", a["action"].get<std::string>(), a["service"].get<std::string>());
    }
    ctx.exit_code = 0;
  });
}

}  // namespace lucidctl
