// beta's SOCKS front, its pure parts: the request parser (RFC 1928 bytes) and the decision for a
// caller, a destination, this cluster's planes and the plane ACL. The relaying itself is shown as
// deployed (beta_deployed_e2e_test.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "lucid/beta/onion_key.h"
#include "lucid/beta/socks_front.h"

namespace lucid::beta {
namespace {

std::string request(std::uint8_t command, std::uint8_t type, const std::string& address, std::uint16_t port) {
  std::string out{5, static_cast<char>(command), 0, static_cast<char>(type)};
  if (type == 3) out += static_cast<char>(address.size());
  out += address;
  out += static_cast<char>(port >> 8);
  out += static_cast<char>(port & 0xff);
  return out;
}

TEST(SocksRequest, ParsesNamesAndLiteralsAndWaitsForTheWholeRequest) {
  const std::string name = request(1, 3, "abc.onion", 8443);
  for (std::size_t cut = 0; cut < name.size(); ++cut)
    EXPECT_FALSE(parse_socks_request(name.substr(0, cut))) << "incomplete at " << cut;
  auto r = parse_socks_request(name + "extra");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->refusal);
  EXPECT_EQ(r->destination.address_type, 3);
  EXPECT_EQ(r->destination.host, "abc.onion");
  EXPECT_EQ(r->destination.port, 8443);
  EXPECT_EQ(r->consumed, name.size());

  auto v4 = parse_socks_request(request(1, 1, std::string{10, 0, 0, 7}, 80));
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->destination.host, "10.0.0.7");
  EXPECT_EQ(v4->destination.address_type, 1);
  auto v6 = parse_socks_request(request(1, 4, std::string(15, '\0') + '\1', 443));
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->destination.host, "::1");
}

TEST(SocksRequest, RefusesWhatItDoesNotServe) {
  EXPECT_EQ(parse_socks_request(request(2, 3, "a.onion", 1))->refusal, kSocksCommandNotSupported) << "BIND";
  EXPECT_EQ(parse_socks_request(request(3, 3, "a.onion", 1))->refusal, kSocksCommandNotSupported)
      << "UDP ASSOCIATE: no UDP";
  EXPECT_EQ(parse_socks_request(std::string{5, 1, 0, 9, 0})->refusal, kSocksAddressTypeNotSupported);
  EXPECT_EQ(parse_socks_request(std::string{4, 1, 0, 1, 0})->refusal, kSocksGeneralFailure) << "SOCKS4";
}

// A valid v3 address (version and checksum), of a fresh key.
std::string real_onion() {
  return OnionIdentity::generate().address();
}

class SocksDecide : public ::testing::Test {
 protected:
  static std::string onion(char c) { return std::string(56, c); }
  void SetUp() override {
    auto policy = AclPolicy::parse(
        "version: 1\nplanes:\n  ops:\n    default: allow-same-plane\n  wallet:\n    default: deny\n"
        "    allow:\n      - from: walletd\n        to: tron-node\n");
    ASSERT_TRUE(policy) << policy.error().message;
    acl = *policy;
    PlaneState ops;
    ops.address = onion('a');
    ops.published = true;
    ops.published_ports = {{"gateway", "c1", 8443, 1001, "172.20.0.5:8443"}};
    PlaneState wallet;
    wallet.address = onion('b');
    wallet.published = true;
    wallet.published_ports = {{"tron-node", "c2", 8090, 1001, "172.21.0.9:8090"}};
    planes = {{"ops", ops}, {"wallet", wallet}};
  }
  SocksDecision decide(const std::string& host, std::uint16_t port, const std::string& caller,
                       const std::string& plane, std::uint8_t type = 3) const {
    return decide_socks({type, host, port}, caller, plane, planes, directory, acl);
  }
  AclPolicy acl;
  std::map<std::string, PlaneState> planes;
  OnionDirectory directory;
};

TEST_F(SocksDecide, RelaysAnAllowedCallerToItsOwnPlanesServiceDirectly) {
  auto d = decide(onion('a') + ".onion", 1001, "node-worker", "ops");
  EXPECT_EQ(d.reply, kSocksSucceeded) << d.reason;
  EXPECT_EQ(d.target, "172.20.0.5:8443");
  EXPECT_EQ(d.service, "gateway");
  auto upper = decide(std::string(56, 'A') + ".ONION", 1001, "node-worker", "ops");
  EXPECT_EQ(upper.reply, kSocksSucceeded) << "names are case-insensitive: " << upper.reason;
  EXPECT_EQ(decide("x." + onion('a') + ".onion", 1001, "node-worker", "ops").reply, kSocksSucceeded)
      << "a subdomain names the same onion";
  auto wallet = decide(onion('b') + ".onion", 1001, "walletd", "wallet");
  EXPECT_EQ(wallet.reply, kSocksSucceeded) << wallet.reason;
}

TEST_F(SocksDecide, RefusesOtherPlanesClearnetLiteralsAndWhatTheAclDenies) {
  auto cross = decide(onion('b') + ".onion", 1001, "node-worker", "ops");
  EXPECT_EQ(cross.reply, kSocksNotAllowed);
  EXPECT_NE(cross.reason.find("planes never bridge"), std::string::npos) << cross.reason;
  auto clear = decide("example.com", 443, "node-worker", "ops");
  EXPECT_EQ(clear.reply, kSocksNotAllowed);
  EXPECT_NE(clear.reason.find("clearnet"), std::string::npos) << clear.reason;
  auto literal = decide("172.20.0.5", 8443, "node-worker", "ops", 1);
  EXPECT_EQ(literal.reply, kSocksNotAllowed);
  EXPECT_NE(literal.reason.find("only onion names"), std::string::npos) << literal.reason;
  EXPECT_EQ(decide("short.onion", 1001, "node-worker", "ops").reply, kSocksNotAllowed) << "not v3";
  auto denied = decide(onion('b') + ".onion", 1001, "observer", "wallet");
  EXPECT_EQ(denied.reply, kSocksNotAllowed);
  EXPECT_EQ(denied.service, "tron-node");
  EXPECT_NE(denied.reason.find("deny-by-default"), std::string::npos) << denied.reason;
  auto unknown = decide(onion('c') + ".onion", 1001, "node-worker", "ops");
  EXPECT_EQ(unknown.reply, kSocksNotAllowed);
  EXPECT_NE(unknown.reason.find("neither an onion of this cluster nor one beta's directory names"),
            std::string::npos)
      << unknown.reason;
}

TEST_F(SocksDecide, OnionsOfOtherClustersGoThroughTorOnlyOnTheCallersOpenPlane) {
  const std::string remote_ops = real_onion(), remote_wallet = real_onion();
  auto upper = remote_wallet;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return std::toupper(c); });
  auto parsed = parse_onion_directory("clusters:\n  site-b:\n    ops: " + remote_ops +
                                      ".onion\n    wallet: " + upper + ".onion\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  directory = *parsed;
  auto relayed = decide(remote_ops + ".onion", 10443, "node-worker", "ops");
  EXPECT_EQ(relayed.reply, kSocksSucceeded) << relayed.reason;
  EXPECT_TRUE(relayed.via_tor);
  EXPECT_EQ(relayed.target, remote_ops + ".onion");
  auto cross = decide(remote_ops + ".onion", 10443, "walletd", "wallet");
  EXPECT_EQ(cross.reply, kSocksNotAllowed);
  EXPECT_NE(cross.reason.find("planes never bridge"), std::string::npos) << cross.reason;
  auto deny = decide(remote_wallet + ".onion", 10443, "walletd", "wallet");
  EXPECT_EQ(deny.reply, kSocksNotAllowed) << "a deny-by-default plane's remote services are not known yet";
  EXPECT_NE(deny.reason.find("deny-by-default"), std::string::npos) << deny.reason;
}

TEST(OnionDirectory, RefusesWhatIsNotAV3OnionOrIsListedTwice) {
  const std::string a = real_onion();
  EXPECT_FALSE(parse_onion_directory("clusters: []\n"));
  EXPECT_FALSE(parse_onion_directory("clusters:\n  b:\n    ops: example.com\n"));
  EXPECT_FALSE(
      parse_onion_directory("clusters:\n  b:\n    ops: " + a + "\n  c:\n    ops: " + a + ".onion\n"));
  auto bad = parse_onion_directory("clusters:\n  b:\n    ops: 1234.onion\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("clusters.b.ops"), std::string::npos) << bad.error().message;
  // The right length and alphabet, a wrong checksum: a typo is caught here.
  auto typo = a;
  typo[10] = typo[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(parse_onion_directory("clusters:\n  b:\n    ops: " + typo + "\n"));
  auto ok = parse_onion_directory("clusters:\n  b:\n    ops: " + a + "\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->at(a).cluster, "b");
  EXPECT_EQ(ok->at(a).plane, "ops");
}

TEST_F(SocksDecide, FailsClosedWhileThePlaneIsNotPublishedAndRefusesAnEmptyPort) {
  planes["ops"].published = false;
  EXPECT_EQ(decide(onion('a') + ".onion", 1001, "node-worker", "ops").reply, kSocksHostUnreachable);
  planes["ops"].published = true;
  EXPECT_EQ(decide(onion('a') + ".onion", 1002, "node-worker", "ops").reply, kSocksConnectionRefused);
}

}  // namespace
}  // namespace lucid::beta
