#include "lucid/accept/site.h"

#include <system_error>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/temp_dir.h"
#include "lucid/base/text.h"
#include "lucid/engine/labels.h"
#include "lucid/fleet/env_file.h"
#include "lucid/fleet/model.h"
#include "lucid/reconcile/git_mirror.h"
#include "lucid/reconcile/state_store.h"

namespace lucid::accept {

std::vector<std::string> split_list(const std::string& text) {
  return split_comma_list(text);
}

namespace {

// The service names of a sequence node (profiles.yaml `always` or a profile's `services`).
void add_names(const yaml::Node* seq, std::set<std::string>& out) {
  if (!seq || !seq->is_sequence()) return;
  for (const auto& item : seq->items)
    if (item.is_scalar()) out.insert(item.value);
}

}  // namespace

Result<Site> read_site(const std::filesystem::path& repo, const std::string& cluster) {
  std::vector<fleet::Finding> findings;
  auto clusters = fleet::load_yaml_file(repo, fleet::kClustersPath, findings);
  if (!clusters)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: {}", (repo / fleet::kClustersPath).string(),
                            findings.empty() ? "cannot be read" : fleet::to_text(findings.front())));
  Site site;
  site.cluster = cluster;
  site.project = engine::project_name(cluster);
  const yaml::Node* list = clusters->find("clusters");
  const yaml::Node* entry = nullptr;
  if (list && list->is_sequence())
    for (const auto& c : list->items)
      if (const auto* id = c.find("id"); id && id->is_scalar() && id->value == cluster) entry = &c;
  if (!entry)
    return fail(ErrorKind::kNotFound,
                fmt::format("{}: no cluster with id '{}'; check --cluster", fleet::kClustersPath, cluster));
  if (const auto* p = entry->find("profiles"); p && p->is_sequence())
    for (const auto& item : p->items)
      if (item.is_scalar()) site.profiles.push_back(item.value);

  // Planes as the compose file passes them to beta: BETA_PLANES of the cluster's .env, else "ops".
  std::string planes = "ops";
  auto env_rel = fmt::format("clusters/{}/.env", cluster);
  if (auto text = read_text_file(repo / env_rel); text) {
    auto env = fleet::resolve_env_file(fleet::parse_env_file(*text, env_rel));
    if (auto it = env.find("BETA_PLANES"); it != env.end() && it->second && !it->second->empty())
      planes = *it->second;
  }
  site.planes = split_list(planes);

  auto profiles = fleet::load_yaml_file(repo, "policies/profiles.yaml", findings, /*required=*/false);
  if (profiles) {
    add_names(profiles->find("always"), site.services);
    if (const auto* all = profiles->find("profiles"); all && all->is_mapping())
      for (const auto& name : site.profiles)
        if (const auto* p = all->find(name)) add_names(p->find("services"), site.services);
  }
  if (auto acl = read_text_file(repo / "policies/acl.yaml"); acl) site.acl_yaml = *acl;
  return site;
}

Result<Site> load_site(const SiteOptions& options) {
  if (options.repo_checkout) {
    auto site = read_site(*options.repo_checkout, options.cluster);
    if (site) site->source = "checkout:" + options.repo_checkout->string();
    return site;
  }
  const auto db = options.state_dir / "state.db";
  std::error_code ec;
  if (!std::filesystem::exists(db, ec))
    return fail(ErrorKind::kNotFound,
                fmt::format("{}: no reconciler state store; give the --state-dir `lucidctl reconcile` uses, "
                            "or --repo-checkout DIR",
                            db.string()));
  auto store = reconcile::StateStore::open(db);
  if (!store) return std::unexpected(store.error());
  auto rec = store->cluster(options.cluster);
  if (!rec) return std::unexpected(rec.error());
  if (rec->last_good.empty())
    return fail(ErrorKind::kNotFound,
                fmt::format("{}: cluster '{}' has no last-good commit (never promoted); reconcile it first, "
                            "or give --repo-checkout DIR",
                            db.string(), options.cluster));
  auto dir = PrivateTempDir::create("lucid-accept-");
  if (!dir) return std::unexpected(dir.error());
  auto tree = dir->path() / "repo";
  if (auto s = reconcile::export_commit(options.state_dir / "mirror.git", rec->last_good, tree); !s)
    return fail(s.error().kind, fmt::format("cannot export last-good commit {} of '{}' from {}: {}",
                                            rec->last_good.substr(0, 12), options.cluster,
                                            (options.state_dir / "mirror.git").string(), s.error().message));
  auto site = read_site(tree, options.cluster);
  if (!site) return site;
  site->commit = rec->last_good;
  site->source = "last-good";
  return site;
}

}  // namespace lucid::accept
