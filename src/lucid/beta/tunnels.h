// Tunnels for programs that cannot speak SOCKS (database replication, consensus peers; issue 13
// item 4): the config repo's policies/tunnels.yaml declares, per cluster, a port on beta's address
// on a plane network and the service of another cluster it leads to. beta listens there and carries
// each connection through tor to that cluster's onion for the plane, at the service's virtual port,
// when the caller's service may reach the destination service under policies/acl.yaml
// (docs/formats.md "Tunnels"; docs/operations.md "Reaching other sites").
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/beta/onion_directory.h"

namespace lucid::beta {

// One entry of policies/tunnels.yaml:
//   - at: edge-node-eu-1                      # the cluster whose beta listens
//     plane: chain
//     listen: 12380                           # beta:12380 on that plane's network
//     to: blockchain-core:2380@core-chain-1   # service:container port@cluster
struct Tunnel {
  std::string at, plane;
  std::uint16_t listen = 0;
  std::string service;
  std::uint16_t port = 0;
  std::string cluster;
};

// The whole file. kInvalidArgument naming the entry (`tunnels[2].to: ...`) for anything malformed,
// or two entries of one cluster on one plane and port.
Result<std::vector<Tunnel>> parse_tunnels(std::string_view yaml_text);

// A tunnel this beta serves, with where it leads.
struct TunnelRoute {
  Tunnel tunnel;
  std::string onion;  // v3 label of tunnel.cluster's onion for tunnel.plane
  std::uint16_t virtual_port = 0;
};

// The tunnels of `cluster_id`, each led to its cluster's onion for the plane (from `directory`) at
// the service's virtual port (docs/formats.md "Beta onion ports": the same on every cluster unless
// two services of that plane collide there). An error names the entry when its plane is not one of
// `planes`, it leads to this cluster itself, the directory pins no onion of that cluster and plane,
// or its port is one beta already listens on (`taken`).
Result<std::vector<TunnelRoute>> tunnel_routes(const std::vector<Tunnel>& tunnels,
                                               const std::string& cluster_id,
                                               const std::vector<std::string>& planes,
                                               const OnionDirectory& directory,
                                               const std::set<std::uint16_t>& taken);

}  // namespace lucid::beta
