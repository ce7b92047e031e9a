#include "lucid/beta/tunnels.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/beta/labels.h"
#include "lucid/fleet/model.h"
#include "lucid/yaml/loader.h"
#include "lucid/yaml/scalar.h"

namespace lucid::beta {

namespace {

std::unexpected<Error> bad(const std::string& what) {
  return fail(ErrorKind::kInvalidArgument, "tunnels: " + what);
}

}  // namespace

Result<std::vector<Tunnel>> parse_tunnels(std::string_view yaml_text) {
  auto tree = yaml::parse(yaml_text, "tunnels");
  if (!tree) return std::unexpected(tree.error());
  auto doc = yaml::to_json(*tree);
  if (!doc) return std::unexpected(doc.error());
  if (!doc->is_object() || !doc->contains("tunnels") || !(*doc)["tunnels"].is_array())
    return bad("expected `tunnels:` with a list of {at, plane, listen, to}");
  std::vector<Tunnel> out;
  std::map<std::tuple<std::string, std::string, std::uint16_t>, std::size_t> seen;
  const auto& list = (*doc)["tunnels"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& e = list[i];
    const std::string where = fmt::format("tunnels[{}]", i);
    if (!e.is_object()) return bad(where + " must be a mapping {at, plane, listen, to}");
    for (const auto& [key, value] : e.items())
      if (key != "at" && key != "plane" && key != "listen" && key != "to")
        return bad(fmt::format("{}: unknown key '{}' (at, plane, listen, to)", where, key.substr(0, 64)));
    Tunnel t;
    for (const char* key : {"at", "plane", "to"})
      if (!e.contains(key) || !e[key].is_string() || e[key].get<std::string>().empty())
        return bad(fmt::format("{}.{} must be a non-empty string", where, key));
    t.at = e["at"].get<std::string>();
    t.plane = e["plane"].get<std::string>();
    if (!fleet::is_service_name(t.at))
      return bad(fmt::format("{}.at: '{}' is not a cluster id", where, t.at.substr(0, 64)));
    if (!fleet::is_service_name(t.plane))
      return bad(fmt::format("{}.plane: '{}' is not a plane name", where, t.plane.substr(0, 64)));
    if (!e.contains("listen") || !e["listen"].is_number_integer() || e["listen"].get<std::int64_t>() < 1 ||
        e["listen"].get<std::int64_t>() > 65535)
      return bad(where + ".listen must be a TCP port (1..65535)");
    t.listen = static_cast<std::uint16_t>(e["listen"].get<std::int64_t>());
    const std::string to = e["to"].get<std::string>();
    auto destination = fleet::parse_tunnel_destination(to);
    if (!destination)
      return bad(
          fmt::format("{}.to: '{}' is not <service>:<port>@<cluster> (names [a-z0-9][a-z0-9._-]*, port "
                      "1..65535)",
                      where, to.substr(0, 120)));
    t.service = destination->service;
    t.port = destination->port;
    t.cluster = destination->cluster;
    if (auto [first, inserted] = seen.emplace(std::tuple{t.at, t.plane, t.listen}, i); !inserted)
      return bad(fmt::format("{}: {} already has a tunnel on {} port {} (tunnels[{}])", where, t.at, t.plane,
                             t.listen, first->second));
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<TunnelRoute>> tunnel_routes(const std::vector<Tunnel>& tunnels,
                                               const std::string& cluster_id,
                                               const std::vector<std::string>& planes,
                                               const OnionDirectory& directory,
                                               const std::set<std::uint16_t>& taken) {
  std::vector<TunnelRoute> out;
  for (const auto& t : tunnels) {
    if (t.at != cluster_id) continue;
    const std::string what =
        fmt::format("the tunnel on {} port {} to {}:{}@{}", t.plane, t.listen, t.service, t.port, t.cluster);
    if (std::find(planes.begin(), planes.end(), t.plane) == planes.end())
      return bad(
          fmt::format("{}: {} is not one of beta's planes ({})", what, t.plane, fmt::join(planes, ",")));
    if (t.cluster == cluster_id)
      return bad(
          fmt::format("{}: leads to this cluster itself; call the service through beta's SOCKS front "
                      "or its own address",
                      what));
    if (taken.contains(t.listen))
      return bad(fmt::format("{}: beta already listens on port {} (resolver, SOCKS front or metrics)", what,
                             t.listen));
    auto onion = find_onion(directory, t.cluster, t.plane);
    if (!onion)
      return bad(fmt::format("{}: the directory pins no {} onion of cluster {} ({} in clusters/{}/.env)",
                             what, t.plane, t.cluster, fleet::onion_pin_key(t.plane), t.cluster));
    out.push_back({t, *onion, preferred_virtual_port(t.plane, t.service, t.port)});
  }
  return out;
}

}  // namespace lucid::beta
