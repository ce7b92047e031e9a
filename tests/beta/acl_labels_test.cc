// ACL policy evaluation (the reference deploy/policies/acl.yaml and malformed policies),
// com.lucid.* label parsing, including the virtual-port rule, and the namespace rules (the UDP ban
// and the ACL's inbound admission), checked by the real nft in a namespace of their own.
#include <unistd.h>

#include <gtest/gtest.h>

#include "lucid/base/subprocess.h"

#include "lucid/beta/acl.h"
#include "lucid/beta/labels.h"
#include "lucid/beta/namespace_rules.h"

namespace lucid::beta {
namespace {

const std::filesystem::path kPolicy = std::filesystem::path(LUCID_SOURCE_DIR) / "deploy/policies/acl.yaml";

TEST(Acl, ReferencePolicy) {
  auto p = AclPolicy::load(kPolicy);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->check("node-worker", "ops", "sessions-gateway", "ops").allowed);
  EXPECT_TRUE(p->check("sessions-index", "chain", "blockchain-core", "chain").allowed);
  EXPECT_FALSE(p->check("node-worker", "ops", "blockchain-core", "chain").allowed) << "cross-plane";
  EXPECT_FALSE(p->check("walletd", "ops", "tron-node", "wallet").allowed) << "cross-plane";
  EXPECT_TRUE(p->check("walletd", "wallet", "tron-node", "wallet").allowed);
  EXPECT_TRUE(p->check("tron-node", "wallet", "walletd", "wallet").allowed) << "bidirectional";
  EXPECT_TRUE(p->check("node-economy", "wallet", "tron-node", "wallet").allowed);
  EXPECT_FALSE(p->check("tron-node", "wallet", "node-economy", "wallet").allowed) << "one-way";
  EXPECT_FALSE(p->check("node-economy", "wallet", "walletd", "wallet").allowed);
  EXPECT_FALSE(p->check("unknown", "wallet", "tron-node", "wallet").allowed);
  auto d = p->check("observer", "wallet", "walletd", "wallet");
  EXPECT_NE(d.reason.find("deny-by-default"), std::string::npos) << d.reason;
  EXPECT_FALSE(p->check("a", "nowhere", "b", "nowhere").allowed) << "unknown plane";
  EXPECT_TRUE(p->open_within("ops"));
  EXPECT_TRUE(p->open_within("chain"));
  EXPECT_FALSE(p->open_within("wallet")) << "deny-by-default: connections admitted per pair";
  EXPECT_FALSE(p->open_within("nowhere")) << "a plane the policy does not name admits per pair (none)";
}

TEST(Acl, MalformedPolicies) {
  EXPECT_FALSE(AclPolicy::parse("version: 2\nplanes: {}\n"));
  EXPECT_FALSE(AclPolicy::parse("version: 1\ncross_plane: allow\nplanes: {}\n"));
  EXPECT_FALSE(AclPolicy::parse("version: 1\nplanes:\n  ops:\n    default: maybe\n"));
  EXPECT_FALSE(
      AclPolicy::parse("version: 1\nplanes:\n  wallet:\n    default: deny\n    allow:\n      - from: a\n"));
  EXPECT_FALSE(AclPolicy::parse("version: 1\nplanes: [\n"));
  EXPECT_FALSE(AclPolicy::parse("a: &x 1\nb: *x\n"));
  auto ok = AclPolicy::parse(
      "version: 1\nplanes:\n  wallet:\n    default: deny\n    allow:\n      - {from: a, to: b}\n");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(ok->check("a", "wallet", "b", "wallet").allowed);
  EXPECT_FALSE(ok->check("b", "wallet", "a", "wallet").allowed);
}

TEST(Acl, DefaultsDenyWallet) {
  auto p = AclPolicy::defaults({"ops", "chain", "wallet"});
  EXPECT_TRUE(p.check("a", "ops", "b", "ops").allowed);
  EXPECT_FALSE(p.check("walletd", "wallet", "tron-node", "wallet").allowed);
}

TEST(Acl, SplitServiceAtPlane) {
  auto s = split_service_at_plane("tron-node@wallet");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, "tron-node");
  EXPECT_EQ(s->second, "wallet");
  EXPECT_FALSE(split_service_at_plane("tron-node"));
  EXPECT_FALSE(split_service_at_plane("@wallet"));
  EXPECT_FALSE(split_service_at_plane("a@b@c"));
}

const std::vector<std::string> kPlanes{"ops", "chain", "wallet"};

TEST(Labels, Valid) {
  auto l = parse_service_labels(
      {{kPlaneLabel, "chain"}, {kServiceLabel, "blockchain-core"}, {kExposeLabel, "8080, 7100,8080"}},
      kPlanes);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->plane, "chain");
  EXPECT_EQ(l->service, "blockchain-core");
  EXPECT_EQ(l->ports, (std::vector<std::uint16_t>{7100, 8080}));
  auto client = parse_service_labels({{kPlaneLabel, "ops"}, {kServiceLabel, "node-worker"}}, kPlanes);
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->ports.empty());
}

TEST(Labels, Malformed) {
  auto unknown =
      parse_service_labels({{kPlaneLabel, "mars"}, {kServiceLabel, "x"}, {kExposeLabel, "80"}}, kPlanes);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("mars"), std::string::npos);
  for (std::string bad : {"", "80,", "http", "0", "65536", "80;81", "-1", "8080,abc", "123456"}) {
    auto r = parse_service_labels({{kPlaneLabel, "ops"}, {kServiceLabel, "x"}, {kExposeLabel, bad}}, kPlanes);
    EXPECT_FALSE(r) << "'" << bad << "'";
    if (!r) {
      EXPECT_NE(r.error().message.find("com.lucid.expose"), std::string::npos);
    }
  }
  EXPECT_FALSE(parse_service_labels({{kPlaneLabel, "ops"}}, kPlanes));
  EXPECT_FALSE(parse_service_labels({{kPlaneLabel, "ops"}, {kServiceLabel, "Bad Name"}}, kPlanes));
  EXPECT_FALSE(parse_service_labels({{kServiceLabel, "x"}, {kExposeLabel, "80"}}, kPlanes));
  EXPECT_TRUE(has_lucid_labels({{kExposeLabel, "80"}}));
  EXPECT_FALSE(has_lucid_labels({{"com.docker.compose.project", "x"}}));
}

TEST(Labels, VirtualPortIsDeterministicAndInRange) {
  auto a = preferred_virtual_port("chain", "blockchain-core", 8080);
  EXPECT_EQ(a, preferred_virtual_port("chain", "blockchain-core", 8080));
  EXPECT_NE(a, preferred_virtual_port("chain", "blockchain-ledger", 8080));
  for (int p = 1; p < 2000; ++p) {
    auto v = preferred_virtual_port("ops", "svc", static_cast<std::uint16_t>(p));
    EXPECT_GE(v, 10000);
    EXPECT_LT(v, 60000);
  }
}

TEST(UdpBan, MethodsRoundTripAndUnknownOnesAreRefused) {
  for (auto m :
       {UdpBanMethod::kAuto, UdpBanMethod::kHelperContainer, UdpBanMethod::kNsenter, UdpBanMethod::kOff})
    EXPECT_EQ(parse_udp_ban_method(to_string(m)).value(), m);
  auto bad = parse_udp_ban_method("iptables");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("auto, container, nsenter, off"), std::string::npos)
      << bad.error().message;
}

TEST(NamespaceRules, DropUdpBothWaysButKeepLoopback) {
  const std::string r = namespace_ruleset({});
  // Replaces the table atomically: create (no-op if present), delete, define.
  EXPECT_EQ(r.find("table inet lucid_beta {}\ndelete table inet lucid_beta\n"), 0u) << r;
  for (const char* line : {"hook output", "hook input", "oifname \"lo\" accept", "iifname \"lo\" accept"})
    EXPECT_NE(r.find(line), std::string::npos) << line;
  std::size_t drops = 0;
  for (auto at = r.find("meta l4proto udp counter drop"); at != std::string::npos;
       at = r.find("meta l4proto udp counter drop", at + 1))
    ++drops;
  EXPECT_EQ(drops, 2u) << "both chains drop UDP: " << r;
  EXPECT_EQ(r.find("saddr"), std::string::npos) << "an open plane admits anyone: " << r;
  EXPECT_EQ(r.find("reject"), std::string::npos) << r;
}

TEST(NamespaceRules, ADenyPlaneAdmitsOnlyTheListedAddressesAndRepliesToItsOwnConnections) {
  const std::string r = namespace_ruleset({std::vector<std::string>{"172.20.0.2", "172.20.0.7"}});
  const auto at = [&](const char* text) { return r.find(text); };
  ASSERT_NE(at("ip saddr { 172.20.0.2, 172.20.0.7 } accept"), std::string::npos) << r;
  // Order matters: loopback, the UDP drop, replies, the admitted, then the refusal.
  EXPECT_LT(at("iifname \"lo\" accept"), at("ct state established,related accept"));
  EXPECT_LT(at("ct state established,related accept"), at("ip saddr"));
  EXPECT_LT(at("ip saddr"), at("reject with tcp reset"));
  EXPECT_LT(at("reject with tcp reset"), at("counter drop\n  }\n}"));
  // Nothing but IPv4 addresses reaches the script; with none left, only replies and loopback pass.
  const std::string hostile =
      namespace_ruleset({std::vector<std::string>{"1.2.3.4 } accept; flush", "::1", ""}});
  EXPECT_EQ(hostile.find("saddr"), std::string::npos) << hostile;
  EXPECT_NE(hostile.find("reject with tcp reset"), std::string::npos) << hostile;
}

// The real nft accepts both forms (in a network namespace of the test's own: nothing on the host
// is touched).
TEST(NamespaceRules, TheRealNftAcceptsEveryForm) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace (unshare -n); CI runs as root";
  if (::access("/usr/sbin/nft", X_OK) != 0)
    GTEST_SKIP() << "no /usr/sbin/nft (scripts/bootstrap installs nftables)";
  for (const auto& admission : {InboundAdmission{}, InboundAdmission{std::vector<std::string>{}},
                                InboundAdmission{std::vector<std::string>{"10.0.0.1", "10.0.0.2"}}}) {
    ProcessOptions o;
    o.argv = {"unshare", "-n", "/usr/sbin/nft", "-f", "-"};
    o.stdin_bytes = namespace_ruleset(admission);
    auto r = run_process(o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->exit_code, 0) << r->err << "\n" << *o.stdin_bytes;
  }
}

TEST(UdpBan, OnlyLeftOverHelpersAreStale) {
  const std::time_t now = 1'800'000'000;
  auto entry = [](const char* state, std::time_t created) {
    return nlohmann::json{{"State", state}, {"Created", created}};
  };
  EXPECT_TRUE(stale_udp_ban_helper(entry("exited", now - 1), now));
  EXPECT_TRUE(stale_udp_ban_helper(entry("dead", now - 1), now));
  EXPECT_TRUE(stale_udp_ban_helper(entry("created", now - 61), now)) << "never started by a killed betad";
  EXPECT_FALSE(stale_udp_ban_helper(entry("created", now - 5), now)) << "another betad is about to start it";
  EXPECT_FALSE(stale_udp_ban_helper(entry("running", now - 600), now)) << "at work";
}

}  // namespace
}  // namespace lucid::beta
