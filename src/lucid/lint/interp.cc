// interp/*: every ${…} in the compose file's interpolated sections is valid Compose 1.29 syntax and
// resolves in every cluster's .env: no unset variable without default, no missing required one.
#include <map>

#include <fmt/format.h>

#include "lucid/lint/checks.h"
#include "lucid/render/interpolate.h"

namespace lucid::lint {
namespace {

using render::Environment;

struct ClusterEnv {
  std::string id;
  Environment env;
};

std::string cluster_list(const std::vector<std::string>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < 3; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > 3) out += fmt::format(" and {} more", ids.size() - 3);
  return out;
}

class Walker {
 public:
  Walker(const std::vector<ClusterEnv>& envs, Sink& sink) : envs_(envs), sink_(sink) {}

  void walk(const yaml::Node& n) {
    if (n.is_scalar()) {
      if (n.value.find('$') != std::string::npos) check(n);
    } else if (n.is_sequence()) {
      for (const auto& i : n.items) walk(i);
    } else {
      for (const auto& [k, v] : n.entries) walk(v);
    }
  }

 private:
  void check(const yaml::Node& n) {
    auto syntax = render::interpolate(n.value, {}, render::Dialect::kCompose129);
    if (!syntax && !syntax.error().missing_required) {
      sink_.add(
          n.mark, "interp/invalid", fmt::format("invalid interpolation in '{}'", n.value),
          "use $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} or ${VAR?error}; write $$ for a "
          "literal $");
      return;
    }
    std::map<std::string, std::vector<std::string>> unset, required;
    for (const auto& c : envs_) {
      std::set<std::string> u;
      auto r = render::interpolate(n.value, c.env, render::Dialect::kCompose129, &u);
      if (!r && r.error().missing_required) required[r.error().variable].push_back(c.id);
      for (const auto& v : u) unset[v].push_back(c.id);
    }
    for (const auto& [var, ids] : required)
      sink_.add(n.mark, "interp/required",
                fmt::format("required variable {} is not set for cluster {}", var, cluster_list(ids)),
                fmt::format("set {} in clusters/<id>/.env", var));
    for (const auto& [var, ids] : unset)
      sink_.add(
          n.mark, "interp/undefined",
          fmt::format("variable {} is not set for cluster {} and has no default (Compose would use \"\")",
                      var, cluster_list(ids)),
          fmt::format("give a default (${{{}:-value}}) or use a key of the .env template", var));
  }

  const std::vector<ClusterEnv>& envs_;
  Sink& sink_;
};

}  // namespace

void check_interp(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose || !ctx.model.compose->root || !ctx.model.compose->root->is_mapping()) return;
  std::vector<ClusterEnv> envs;
  for (const auto& c : ctx.model.clusters) {
    if (!c.env) continue;
    ClusterEnv e{c.id.value, {}};
    for (auto& [k, v] : fleet::resolve_env_file(*c.env))
      if (v) e.env[k] = *v;
    envs.push_back(std::move(e));
  }
  Walker w(envs, sink);
  for (const char* section : {"services", "networks", "volumes", "secrets", "configs"})
    if (const yaml::Node* n = ctx.model.compose->root->find(section)) w.walk(*n);
}

}  // namespace lucid::lint
