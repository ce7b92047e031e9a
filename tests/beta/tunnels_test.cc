// Tunnels (issue 13 item 4), their pure parts: policies/tunnels.yaml parsing and the routes one
// cluster's beta serves. The relaying through tor is shown across two sites
// (beta_sites_e2e_test.cc).
#include <gtest/gtest.h>

#include "lucid/beta/labels.h"
#include "lucid/beta/tunnels.h"

namespace lucid::beta {
namespace {

// The addresses of docs/formats.md "Onion pins and beta's directory" (real keys; checksums hold).
const std::string kOps = "dnfpddjvweky26nbx5tgupiqpkz6sshqigpyu6pk4zptfvgdxdrabhad";
const std::string kChain = "ydyxjfay6agmkjayg72k443qmelhl2i6jtqd7z2vacecxpjphg5hy6qd";

OnionDirectory documented_directory() {
  // The example of docs/formats.md, byte for byte.
  auto d = parse_onion_directory("clusters:\n  \"core-chain-1\":\n    chain: " + kChain +
                                 ".onion\n    ops: " + kOps + ".onion\n");
  EXPECT_TRUE(d) << d.error().message;
  return d ? *d : OnionDirectory{};
}

std::string error_of(std::string_view yaml) {
  auto t = parse_tunnels(yaml);
  return t ? "" : t.error().message;
}

TEST(Tunnels, ParsesTheDocumentedEntry) {
  auto t = parse_tunnels(
      "tunnels:\n  - at: edge-node-eu-1\n    plane: chain\n    listen: 12380\n"
      "    to: blockchain-core:2380@core-chain-1\n");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->size(), 1u);
  const Tunnel& e = t->front();
  EXPECT_EQ(e.at, "edge-node-eu-1");
  EXPECT_EQ(e.plane, "chain");
  EXPECT_EQ(e.listen, 12380);
  EXPECT_EQ(e.service, "blockchain-core");
  EXPECT_EQ(e.port, 2380);
  EXPECT_EQ(e.cluster, "core-chain-1");
  EXPECT_TRUE(parse_tunnels("tunnels: []\n"));
}

TEST(Tunnels, MalformedEntriesAreNamed) {
  const std::string head = "tunnels:\n  - at: a\n    plane: chain\n";
  EXPECT_NE(error_of("tunnels: {}\n").find("expected `tunnels:`"), std::string::npos);
  EXPECT_NE(error_of(head + "    listen: 70000\n    to: s:1@b\n").find("tunnels[0].listen"),
            std::string::npos);
  EXPECT_NE(error_of(head + "    listen: '80'\n    to: s:1@b\n").find("tunnels[0].listen"),
            std::string::npos);
  EXPECT_NE(error_of(head + "    listen: 80\n    to: s@b\n").find("tunnels[0].to"), std::string::npos);
  for (const char* to : {"s:0@b", "s:65536@b", "s:08@b", "S!:1@b", "s:1@", ":1@b", "s:1@b@c"})
    EXPECT_NE(
        error_of(head + "    listen: 80\n    to: '" + to + "'\n").find("is not <service>:<port>@<cluster>"),
        std::string::npos)
        << to;
  EXPECT_NE(error_of(head + "    listen: 80\n    to: s:1@b\n    via: x\n").find("unknown key 'via'"),
            std::string::npos);
  EXPECT_NE(error_of("tunnels:\n  - plane: chain\n    listen: 80\n    to: s:1@b\n").find("tunnels[0].at"),
            std::string::npos);
  const std::string twice = head + "    listen: 80\n    to: s:1@b\n" +
                            "  - at: a\n    plane: chain\n    listen: 80\n" + "    to: t:2@c\n";
  EXPECT_NE(error_of(twice).find("tunnels[1]: a already has a tunnel on chain port 80 (tunnels[0])"),
            std::string::npos)
      << error_of(twice);
}

TEST(Tunnels, RoutesLeadToThePinnedOnionAtTheServicesVirtualPort) {
  auto t = parse_tunnels(
      "tunnels:\n"
      "  - {at: edge-1, plane: chain, listen: 12380, to: 'blockchain-core:2380@core-chain-1'}\n"
      "  - {at: edge-2, plane: ops, listen: 18080, to: 'sessions-gateway:8080@core-chain-1'}\n");
  ASSERT_TRUE(t) << t.error().message;
  const std::vector<std::string> planes{"ops", "chain", "wallet"};
  auto routes = tunnel_routes(*t, "edge-1", planes, documented_directory(), {7000, 9050, 9105});
  ASSERT_TRUE(routes) << routes.error().message;
  ASSERT_EQ(routes->size(), 1u) << "only this cluster's entries";
  EXPECT_EQ(routes->front().onion, kChain);
  EXPECT_EQ(routes->front().virtual_port, preferred_virtual_port("chain", "blockchain-core", 2380));
  EXPECT_EQ(routes->front().tunnel.listen, 12380);
  auto none = tunnel_routes(*t, "obs-1", planes, documented_directory(), {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(Tunnels, RoutesThatCannotBeServedAreRefusedWithTheReason) {
  const std::vector<std::string> planes{"ops", "chain", "wallet"};
  auto reason = [&](const std::string& entry, const std::string& cluster) {
    auto t = parse_tunnels("tunnels:\n  - " + entry + "\n");
    EXPECT_TRUE(t) << t.error().message;
    auto r =
        tunnel_routes(t ? *t : std::vector<Tunnel>{}, cluster, planes, documented_directory(), {7000, 9050});
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(reason("{at: a, plane: wallet, listen: 1, to: 'walletd:1@core-chain-1'}", "a")
                .find("pins no wallet onion of cluster core-chain-1 (BETA_ONION_WALLET in "
                      "clusters/core-chain-1/.env)"),
            std::string::npos);
  EXPECT_NE(reason("{at: a, plane: relay, listen: 1, to: 's:1@core-chain-1'}", "a")
                .find("not one of beta's planes"),
            std::string::npos);
  EXPECT_NE(reason("{at: core-chain-1, plane: ops, listen: 1, to: 's:1@core-chain-1'}", "core-chain-1")
                .find("leads to this cluster itself"),
            std::string::npos);
  EXPECT_NE(reason("{at: a, plane: ops, listen: 9050, to: 's:1@core-chain-1'}", "a")
                .find("already listens on port 9050"),
            std::string::npos);
}

}  // namespace
}  // namespace lucid::beta
