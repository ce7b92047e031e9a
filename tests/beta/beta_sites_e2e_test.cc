// beta across sites (issue 13 "What must be shown" 3, the cross-site part): two betads, each with its
// own cluster id, plane networks and onion keys, join a private Tor network on 127.0.0.1
// (scripts/tor-test-network: real tor relays and authorities, never the public network). A container
// of site A reaches a service of site B by B's plane onion through A's SOCKS front (TOR_SOCKS) and
// real onion circuits; the front refuses another plane's onions, a deny-by-default plane's remote
// onions and onions its directory does not name. Tunnels (policies/tunnels.yaml in BETA_TUNNELS)
// carry a plain TCP client of site A to a service of site B, the allowed caller through and the
// denied one refused, on the deny-by-default wallet plane too.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "beta/beta_env.h"
#include "lucid/base/tcp.h"
#include "lucid/beta/onion_key.h"
#include "lucid/crypto/onion_address.h"

namespace lucid::beta::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kTorNetworkPorts = 13;  // scripts/tor-test-network uses BASE..BASE+12

bool port_free(std::uint16_t port) {
  return tcp::listen(fmt::format("127.0.0.1:{}", port), 1).has_value();
}

// The private Tor network of scripts/tor-test-network for the life of the object.
class TorTestNetwork {
 public:
  TorTestNetwork() {
    if (testing::run({"sh", "-c", "command -v tor && command -v tor-gencert"}).exit_code != 0) {
      why_ = "tor or tor-gencert missing (scripts/bootstrap installs tor)";
      return;
    }
    // A run of free ports, starting at a place that depends on the pid (parallel suites differ).
    for (int attempt = 0; attempt < 20 && base_ == 0; ++attempt) {
      auto base = static_cast<std::uint16_t>(21000 + ((::getpid() + attempt * 37) % 400) * 20);
      bool all_free = true;
      for (int i = 0; i < kTorNetworkPorts && all_free; ++i)
        all_free = port_free(static_cast<std::uint16_t>(base + i));
      if (all_free) base_ = base;
    }
    if (base_ == 0) {
      why_ = "no run of 13 free loopback ports for the private Tor network";
      return;
    }
    auto up = testing::run({script(), "up", (dir_ / "net").string(), std::to_string(base_)});
    if (up.exit_code != 0) {
      // Not a skip: tor is installed, so the network must come up.
      failure_ = "scripts/tor-test-network up failed: " + up.out + up.err;
      return;
    }
    started_ = true;
  }
  ~TorTestNetwork() {
    if (started_) testing::run({script(), "down", (dir_ / "net").string()});
  }
  TorTestNetwork(const TorTestNetwork&) = delete;
  TorTestNetwork& operator=(const TorTestNetwork&) = delete;

  const std::string& why() const { return why_; }
  const std::string& failure() const { return failure_; }
  std::string client_torrc() const { return (dir_ / "net" / "client.torrc").string(); }

 private:
  static std::string script() { return std::string(LUCID_SOURCE_DIR) + "/scripts/tor-test-network"; }
  testing::ScratchDir dir_;
  std::string why_, failure_;
  std::uint16_t base_ = 0;
  bool started_ = false;
};

std::map<std::string, std::string> service_labels(const std::string& plane, const std::string& service,
                                                  const std::string& expose = "") {
  std::map<std::string, std::string> l{{"com.lucid.plane", plane}, {"com.lucid.service", service}};
  if (!expose.empty()) l["com.lucid.expose"] = expose;
  return l;
}

struct PlaneOnion {
  std::string address;                       // "<label>.onion"
  std::map<std::string, int> virtual_ports;  // service -> virtual port
};
std::map<std::string, PlaneOnion> onions(const BetaEnv& env) {
  std::map<std::string, PlaneOnion> out;
  const json listed =
      env.admin_json("/v1/onions");  // kept: a range-for over ["onions"] of a temporary dangles
  for (const auto& o : listed["onions"]) {
    auto& plane = out[o["plane"].get<std::string>()];
    plane.address = o["address"];
    for (const auto& p : o["ports"]) plane.virtual_ports[p["service"].get<std::string>()] = p["virtual_port"];
  }
  return out;
}

TEST(BetaAcrossSites, AContainerReachesAnotherSitesOnionThroughItsSocksFrontAndNothingElse) {
  if (auto why = ensure_docker(); !why.empty()) GTEST_SKIP() << why;
  TorTestNetwork net;
  if (!net.why().empty()) GTEST_SKIP() << net.why();
  ASSERT_TRUE(net.failure().empty()) << net.failure();

  // The sites' onion keys, made first as each site's beta makes them on its first start: B's
  // onions are readable only by the client keys derived from A's (Tor v3 client authorization), as
  // a cluster render gives B the BETA_CLIENT_<PLANE> pins of A.
  std::map<std::string, OnionIdentity> a_keys, b_keys;
  for (const char* plane : {"ops", "chain", "wallet"}) {
    a_keys.emplace(plane, OnionIdentity::generate());
    b_keys.emplace(plane, OnionIdentity::generate());
  }
  auto save_keys = [](const BetaEnv& env, const std::string& cluster,
                      const std::map<std::string, OnionIdentity>& keys) {
    for (const auto& [plane, identity] : keys) {
      auto path = identity_path(env.key_dir(), cluster, plane);
      ASSERT_TRUE(path && save_identity(*path, identity));
    }
  };
  auto client_key = [](const OnionIdentity& identity) {
    return crypto::client_auth_key_text(identity.client_auth_public_key());
  };

  // Site B: a web service on its ops plane, published on B's ops onion.
  BetaEnv::Options site_b;
  site_b.instance = "b";
  site_b.cluster_id = "site-b";
  site_b.tor_network = true;
  site_b.extra_betad_args = {"--tor-config", net.client_torrc()};
  site_b.environment["BETA_DIRECTORY"] =
      fmt::format("clusters: {{}}\nclients:\n  \"site-a\":\n    ops: {}\n    wallet: {}\n",
                  client_key(a_keys.at("ops")), client_key(a_keys.at("wallet")));
  BetaEnv b(site_b);
  if (!b.ok()) GTEST_SKIP() << b.why();
  save_keys(b, "site-b", b_keys);
  b.run_container("web", "ops", service_labels("ops", "sessions-gateway", "8080"),
                  {"sh", "-c", "mkdir -p /w && echo site-b > /w/index.html && exec httpd -f -p 8080 -h /w"});
  b.run_container(
      "tron", "wallet", service_labels("wallet", "tron-node", "8080"),
      {"sh", "-c", "mkdir -p /w && echo site-b-tron > /w/index.html && exec httpd -f -p 8080 -h /w"});
  ASSERT_TRUE(b.start_betad(90s)) << b.betad_log();
  std::map<std::string, PlaneOnion> b_onions;
  ASSERT_TRUE(wait_until(
      [&] {
        b_onions = onions(b);
        return b_onions["ops"].virtual_ports.contains("sessions-gateway") &&
               b_onions["wallet"].virtual_ports.contains("tron-node");
      },
      30s, 250ms))
      << b.admin_json("/v1/onions").dump() << "\n--- site-b betad ---\n"
      << b.betad_log();
  const PlaneOnion& b_ops = b_onions["ops"];
  // What site B's operator pins in clusters/site-b/.env, from B's own beta.
  const auto pins = b.betactl({"onions", "--pins"});
  EXPECT_EQ(pins.exit_code, 0) << pins.err;
  EXPECT_EQ(
      pins.out,
      fmt::format("BETA_ONION_CHAIN={}\nBETA_CLIENT_CHAIN={}\nBETA_ONION_OPS={}\nBETA_CLIENT_OPS={}\n"
                  "BETA_ONION_WALLET={}\nBETA_CLIENT_WALLET={}\n",
                  b_onions["chain"].address, client_key(b_keys.at("chain")), b_ops.address,
                  client_key(b_keys.at("ops")), b_onions["wallet"].address, client_key(b_keys.at("wallet"))));
  const std::string b_log = b.betad_log();
  EXPECT_NE(b_log.find("plane ops: onion readable by 1 client key(s) of other clusters"), std::string::npos)
      << b_log;
  EXPECT_NE(b_log.find("plane chain: onion without client authorization"), std::string::npos) << b_log;
  const std::string web_port = std::to_string(b_ops.virtual_ports.at("sessions-gateway"));

  // Site A knows B's ops and wallet onions (not B's chain onion) as the deployed beta does: in
  // BETA_DIRECTORY, the form a cluster render gives it from B's BETA_ONION_<PLANE> pins.
  BetaEnv::Options site_a;
  site_a.environment["BETA_DIRECTORY"] = fmt::format(
      "clusters:\n  \"site-b\":\n    ops: {}\n    wallet: {}\n", b_ops.address, b_onions["wallet"].address);
  // And its tunnels: one on ops, one on the deny-by-default wallet plane (walletd -> tron-node is
  // the policy's pair), and another cluster's entry, which site A ignores.
  const std::uint16_t ops_tunnel = free_port(), wallet_tunnel = free_port();
  site_a.environment["BETA_TUNNELS"] = fmt::format(
      "tunnels:\n"
      "  - {{at: site-a, plane: ops, listen: {}, to: 'sessions-gateway:8080@site-b'}}\n"
      "  - {{at: site-a, plane: wallet, listen: {}, to: 'tron-node:8080@site-b'}}\n"
      "  - {{at: site-c, plane: ops, listen: 1, to: 'x:1@site-b'}}\n",
      ops_tunnel, wallet_tunnel);
  site_a.instance = "a";
  site_a.cluster_id = "site-a";
  site_a.tor_network = true;
  site_a.tor_socks = fmt::format("127.0.0.1:{}", free_port());
  site_a.extra_betad_args = {"--tor-config", net.client_torrc()};
  BetaEnv a(site_a);
  if (!a.ok()) GTEST_SKIP() << a.why();
  save_keys(a, "site-a", a_keys);
  a.run_container("worker", "ops", service_labels("ops", "node-worker"));
  a.run_container("walletd", "wallet", service_labels("wallet", "walletd"));
  a.run_container("observer", "wallet", service_labels("wallet", "observer"));
  ASSERT_TRUE(a.start_betad(90s)) << a.betad_log();
  EXPECT_NE(a.betad_log().find(
                "directory from the other clusters' onion pins in the config repo (BETA_DIRECTORY): 2 "
                "onion(s) and 0 client key(s) of other clusters"),
            std::string::npos)
      << a.betad_log();

  auto socks_get = [&](const std::string& from, const std::string& plane, const std::string& host,
                       const std::string& port) {
    return docker({"exec", a.prefix() + "-" + from, "/bin/busybox", "timeout", "75", "/bin/probe",
                   "socks-get", a.gateway(plane), "9050", host, port, "/"});
  };

  // The first circuit waits for A's tor to fetch B's descriptor from the test network's HSDirs.
  const auto started = std::chrono::steady_clock::now();
  testing::RunResult fetched;
  ASSERT_TRUE(wait_until(
      [&] {
        fetched = socks_get("worker", "ops", b_ops.address, web_port);
        return fetched.out.find("\r\n\r\nsite-b\n") != std::string::npos;
      },
      150s, 2s))
      << "node-worker@ops of site-a -> sessions-gateway on site-b's ops onion: " << fetched.out << fetched.err
      << "\n--- site-a betad ---\n"
      << a.betad_log();
  std::cout << fmt::format(
      "[ timing ] site-a reached site-b's onion {} ms after both betas were healthy\n",
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count());
  auto metrics = [&] {
    return testing::run({"curl", "-s", "--noproxy", "*", "-m", "5", "http://" + a.admin() + "/metrics"}).out;
  };
  EXPECT_NE(metrics().find("beta_socks_connections_total{plane=\"ops\",result=\"relayed_tor\"} "),
            std::string::npos)
      << metrics();

  // Planes never bridge: a wallet-plane caller cannot use the front for B's ops onion.
  EXPECT_EQ(socks_get("walletd", "wallet", b_ops.address, web_port).out, "socks reply 2\n");
  // A deny-by-default plane's remote onion: the service behind the port is not known here.
  EXPECT_EQ(socks_get("walletd", "wallet", b_onions["wallet"].address, "10443").out, "socks reply 2\n");
  // An onion the directory does not name (B's chain onion), and clearnet, are refused.
  EXPECT_EQ(socks_get("worker", "ops", b_onions["chain"].address, "80").out, "socks reply 2\n");
  EXPECT_EQ(socks_get("worker", "ops", "example.com", "80").out, "socks reply 2\n");
  const std::string log = a.betad_log();
  EXPECT_NE(log.find("planes never bridge"), std::string::npos) << log;
  EXPECT_NE(log.find("deny-by-default"), std::string::npos) << log;
  EXPECT_NE(log.find("nor one beta's directory names"), std::string::npos) << log;
  EXPECT_NE(metrics().find("beta_socks_connections_total{plane=\"wallet\",result=\"denied\"} 2"),
            std::string::npos)
      << metrics();

  // Tunnels: a plain TCP client (busybox wget) connects to beta's port on its plane network.
  EXPECT_NE(
      log.find("2 tunnel(s) of this cluster from policies/tunnels.yaml in the config repo (BETA_TUNNELS)"),
      std::string::npos)
      << log;
  auto tunnel_get = [&](const std::string& from, const std::string& plane, std::uint16_t port) {
    return docker({"exec", a.prefix() + "-" + from, "/bin/busybox", "timeout", "75", "/bin/busybox", "wget",
                   "-q", "-O", "-", fmt::format("http://{}:{}/", a.gateway(plane), port)});
  };
  struct TunnelCase {
    const char *from, *plane;
    std::uint16_t port;
    const char* want;
  };
  for (const TunnelCase& c : {TunnelCase{"worker", "ops", ops_tunnel, "site-b\n"},
                              TunnelCase{"walletd", "wallet", wallet_tunnel, "site-b-tron\n"}}) {
    testing::RunResult got;
    EXPECT_TRUE(wait_until(
        [&] {
          got = tunnel_get(c.from, c.plane, c.port);
          return got.out == c.want;
        },
        150s, 2s))
        << c.from << "@" << c.plane << " through the tunnel on port " << c.port << ": " << got.out << got.err
        << "\n--- site-a betad ---\n"
        << a.betad_log();
  }
  // observer@wallet may not reach tron-node: the tunnel closes without a byte.
  auto refused = tunnel_get("observer", "wallet", wallet_tunnel);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(a.betad_log().find("beta[tunnel]: denied"), std::string::npos) << a.betad_log();
  EXPECT_NE(a.betad_log().find("observer@wallet -> tron-node@wallet of cluster site-b"), std::string::npos)
      << a.betad_log();
  const std::string after = metrics();
  for (const char* plane : {"ops", "wallet"})
    EXPECT_NE(
        after.find(fmt::format("beta_socks_connections_total{{plane=\"{}\",result=\"tunnelled\"}} ", plane)),
        std::string::npos)
        << after;
  EXPECT_NE(after.find("beta_socks_connections_total{plane=\"wallet\",result=\"denied\"} 3"),
            std::string::npos)
      << after;

  // Site C has B's ops onion in its directory too, but B does not authorize C's client key: tor on
  // C cannot read the onion's descriptor, and the front passes tor's extended reply on (0xF5 no
  // key / 0xF6 wrong key, from SocksPort ExtendedErrors), while A still gets through.
  BetaEnv::Options site_c;
  site_c.instance = "c";
  site_c.cluster_id = "site-c";
  site_c.tor_network = true;
  site_c.tor_socks = fmt::format("127.0.0.1:{}", free_port());
  site_c.extra_betad_args = {"--tor-config", net.client_torrc()};
  site_c.environment["BETA_DIRECTORY"] =
      fmt::format("clusters:\n  \"site-b\":\n    ops: {}\n", b_ops.address);
  BetaEnv c(site_c);
  if (!c.ok()) GTEST_SKIP() << c.why();
  c.run_container("worker", "ops", service_labels("ops", "node-worker"));
  ASSERT_TRUE(c.start_betad(90s)) << c.betad_log();
  testing::RunResult from_c;
  EXPECT_TRUE(wait_until(
      [&] {
        from_c = docker({"exec", c.prefix() + "-worker", "/bin/busybox", "timeout", "75", "/bin/probe",
                         "socks-get", c.gateway("ops"), "9050", b_ops.address, web_port, "/"});
        return from_c.out == "socks reply 245\n" || from_c.out == "socks reply 246\n" ||
               from_c.out.find("site-b") != std::string::npos;
      },
      120s, 3s))
      << "site-c -> site-b's ops onion: " << from_c.out << from_c.err << "\n--- site-c betad ---\n"
      << c.betad_log();
  EXPECT_EQ(from_c.out.find("site-b"), std::string::npos)
      << "site-c read site-b's onion without authorization";
  std::cout << "[ site-c ] site-b's ops onion through site-c's front: " << from_c.out;
  EXPECT_NE(socks_get("worker", "ops", b_ops.address, web_port).out.find("\r\n\r\nsite-b\n"),
            std::string::npos);
}

TEST(BetaAcrossSites, ADirectoryNeedsAFixedTorSocksPortAndValidOnionsAndTunnelsTheirPins) {
  if (auto why = ensure_docker(); !why.empty()) GTEST_SKIP() << why;
  testing::ScratchDir dir;
  const auto bad = dir / "bad.yaml";
  std::ofstream(bad) << "clusters:\n  site-b:\n    ops: example.com\n";
  BetaEnv::Options options;
  options.instance = "dir";
  options.extra_betad_args = {"--directory", bad.string()};
  BetaEnv env(options);
  if (!env.ok()) GTEST_SKIP() << env.why();
  auto code = env.start_betad_expect_exit(20s);
  ASSERT_TRUE(code.has_value()) << "betad started with an invalid directory";
  EXPECT_NE(*code, 0);
  EXPECT_NE(env.betad_log().find("clusters.site-b.ops: 'example.com' is not a v3 onion address"),
            std::string::npos)
      << env.betad_log();

  const auto good = dir / "good.yaml";
  std::ofstream(good) << "clusters:\n  site-b:\n    ops: " << OnionIdentity::generate().address()
                      << ".onion\n";
  BetaEnv::Options auto_socks = options;
  auto_socks.instance = "dir2";
  auto_socks.extra_betad_args = {"--directory", good.string()};
  BetaEnv env2(auto_socks);
  auto code2 = env2.start_betad_expect_exit(20s);
  ASSERT_TRUE(code2.has_value()) << "betad started with --directory and --socks 127.0.0.1:auto";
  EXPECT_NE(env2.betad_log().find("must then be a fixed ip:port"), std::string::npos) << env2.betad_log();

  // A tunnel of this cluster to a cluster the directory does not pin stops betad with the reason,
  // so a commit that declares it never turns healthy.
  BetaEnv::Options tunnel = options;
  tunnel.instance = "dir3";
  tunnel.cluster_id = "site-a";
  tunnel.extra_betad_args = {"--directory", good.string()};
  tunnel.tor_socks = fmt::format("127.0.0.1:{}", free_port());
  tunnel.environment["BETA_TUNNELS"] =
      "tunnels:\n  - {at: site-a, plane: chain, listen: 12380, to: 'x:1@site-b'}\n";
  BetaEnv env3(tunnel);
  auto code3 = env3.start_betad_expect_exit(20s);
  ASSERT_TRUE(code3.has_value()) << "betad started with a tunnel it cannot serve";
  EXPECT_NE(
      env3.betad_log().find("the tunnel on chain port 12380 to x:1@site-b: the directory pins no chain onion "
                            "of cluster site-b (BETA_ONION_CHAIN in clusters/site-b/.env)"),
      std::string::npos)
      << env3.betad_log();
}

}  // namespace
}  // namespace lucid::beta::e2e
