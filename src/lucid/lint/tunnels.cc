// planes/tunnels: each tunnel of policies/tunnels.yaml (docs/formats.md "Tunnels") is one beta can
// serve, so a mistake is a finding in review and not a beta that refuses to start on a site.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "lucid/base/number.h"
#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

using yaml::Node;

// The ports betad listens on itself on a plane network (its defaults in deploy/).
constexpr int kBetaPorts[] = {7000, 9050, 9105};

const fleet::Cluster* cluster_of(const Context& ctx, const std::string& id) {
  for (const auto& c : ctx.model.clusters)
    if (c.id.value == id) return &c;
  return nullptr;
}

std::map<std::string, std::optional<std::string>> env_of(const fleet::Cluster& c) {
  return c.env ? fleet::resolve_env_file(*c.env) : std::map<std::string, std::optional<std::string>>{};
}

std::vector<std::string> beta_planes(const fleet::Cluster& c) {
  const auto env = env_of(c);
  auto p = env.find("BETA_PLANES");
  return p != env.end() && p->second ? split_list(*p->second) : std::vector<std::string>{};
}

bool exposes(const fleet::Service& s, std::uint16_t port) {
  const fleet::LString* expose = label(s, "com.lucid.expose");
  if (!expose) return false;
  for (const auto& p : split_list(expose->value))
    if (p == std::to_string(port)) return true;
  return false;
}

void check_entry(const Context& ctx, const Node& e, std::size_t i,
                 std::set<std::tuple<std::string, std::string, int>>& seen, Sink& sink) {
  const std::string where = fmt::format("tunnels[{}]", i);
  auto field = [&](const char* key) -> const Node* {
    const Node* n = e.find(key);
    if (!n || !n->is_scalar() || n->value.empty()) {
      sink.add(e.mark, "planes/tunnels", fmt::format("{} has no `{}`", where, key),
               "each tunnel has at, plane, listen and to (docs/formats.md \"Tunnels\")");
      return nullptr;
    }
    return n;
  };
  const Node *at = field("at"), *plane = field("plane"), *listen = field("listen"), *to = field("to");
  if (!at || !plane || !listen || !to) return;
  for (const auto& [key, value] : e.entries)
    if (key.value != "at" && key.value != "plane" && key.value != "listen" && key.value != "to")
      sink.add(key.mark, "planes/tunnels", fmt::format("{}: unknown key '{}'", where, key.value),
               "the keys are at, plane, listen and to");
  const auto destination = fleet::parse_tunnel_destination(to->value);
  if (!destination) {
    sink.add(to->mark, "planes/tunnels",
             fmt::format("{}.to: '{}' is not <service>:<port>@<cluster>", where, to->value.substr(0, 120)),
             "e.g. blockchain-core:2380@core-chain-1 (the container port the service exposes)");
    return;
  }
  const auto port = parse_number_in<int>(listen->value, 1, 65535, "port");
  if (!port)
    sink.add(listen->mark, "planes/tunnels",
             fmt::format("{}.listen: '{}' is not a TCP port", where, listen->value),
             "a port 1..65535 on beta's address on the plane network");
  else if (std::find(std::begin(kBetaPorts), std::end(kBetaPorts), *port) != std::end(kBetaPorts))
    sink.add(
        listen->mark, "planes/tunnels",
        fmt::format("{}.listen: beta already listens on port {} (resolver 7000, SOCKS 9050, metrics 9105)",
                    where, *port),
        "choose another port");
  else if (!seen.emplace(at->value, plane->value, *port).second)
    sink.add(listen->mark, "planes/tunnels",
             fmt::format("{}: {} already has a tunnel on {} port {}", where, at->value, plane->value, *port),
             "one tunnel per cluster, plane and port");

  const fleet::Cluster* from = cluster_of(ctx, at->value);
  const fleet::Cluster* dest = cluster_of(ctx, destination->cluster);
  if (!from)
    sink.add(at->mark, "planes/tunnels",
             fmt::format("{}.at: no cluster '{}' in clusters.yaml", where, at->value),
             "name a cluster of clusters/clusters.yaml");
  if (!dest)
    sink.add(to->mark, "planes/tunnels",
             fmt::format("{}.to: no cluster '{}' in clusters.yaml", where, destination->cluster),
             "name a cluster of clusters/clusters.yaml");
  if (from && dest && from == dest)
    sink.add(to->mark, "planes/tunnels", fmt::format("{} leads to its own cluster {}", where, at->value),
             "call the service through beta's SOCKS front or its own address");
  for (const fleet::Cluster* c : {from, dest}) {
    if (!c) continue;
    const auto planes = beta_planes(*c);
    if (std::find(planes.begin(), planes.end(), plane->value) == planes.end())
      sink.add(plane->mark, "planes/tunnels",
               fmt::format("{}: cluster {} does not serve plane {} (BETA_PLANES)", where, c->id.value,
                           plane->value),
               "a tunnel joins one plane of two clusters that both serve it");
  }
  if (dest && from != dest) {
    const auto env = env_of(*dest);
    const std::string key = fleet::onion_pin_key(plane->value);
    if (auto pin = env.find(key); pin == env.end() || !pin->second)
      sink.add(to->mark, "planes/tunnels",
               fmt::format("{}: cluster {} pins no {} onion ({} in {}); beta of {} would refuse to start",
                           where, destination->cluster, plane->value, key, dest->env_path, at->value),
               "pin it with the line `betactl onions --pins` prints on that site");
  }
  const fleet::Service* service = ctx.service(destination->service);
  if (!service)
    sink.add(to->mark, "planes/tunnels",
             fmt::format("{}.to: no service '{}' in the compose file", where, destination->service),
             "name a service of infrastructure/compose/docker-compose.yml");
  else if (ctx.plane(service->name) != plane->value)
    sink.add(to->mark, "planes/tunnels",
             fmt::format("{}.to: {} is on plane '{}', not {}", where, service->name, ctx.plane(service->name),
                         plane->value),
             "planes never bridge: a tunnel stays on its plane");
  else if (!exposes(*service, destination->port))
    sink.add(to->mark, "planes/tunnels",
             fmt::format("{}.to: {} does not expose port {} (com.lucid.expose)", where, service->name,
                         destination->port),
             "name a port of its com.lucid.expose label");
}

}  // namespace

void check_tunnels(const Context& ctx, Sink& sink) {
  auto file = ctx.model.policies.find("tunnels.yaml");
  if (file == ctx.model.policies.end() || !file->second.root) return;  // optional
  const Node& root = *file->second.root;
  const Node* list = root.find("tunnels");
  if (!list || !list->is_sequence()) {
    sink.add(root.mark, "planes/tunnels", "tunnels.yaml has no `tunnels:` list",
             "tunnels: [{at: CLUSTER, plane: PLANE, listen: PORT, to: SERVICE:PORT@CLUSTER}]");
    return;
  }
  std::set<std::tuple<std::string, std::string, int>> seen;
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    if (!list->items[i].is_mapping())
      sink.add(list->items[i].mark, "planes/tunnels", fmt::format("tunnels[{}] is not a mapping", i),
               "{at: CLUSTER, plane: PLANE, listen: PORT, to: SERVICE:PORT@CLUSTER}");
    else
      check_entry(ctx, list->items[i], i, seen, sink);
  }
}

}  // namespace lucid::lint
