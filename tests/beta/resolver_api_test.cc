// ResolverApi on its own: a PlanePublisher whose tor never started and a LabelWatcher that never
// synced (no engine at its socket), so every answer comes from the fail-closed state.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "lucid/beta/label_watcher.h"
#include "lucid/beta/plane_publisher.h"
#include "lucid/beta/resolver_api.h"

namespace lucid::beta {
namespace {

struct Parts {
  Parts() {
    std::map<std::string, OnionIdentity> ids;
    for (const auto& plane : planes) ids.emplace(plane, OnionIdentity::generate());
    publisher = std::make_unique<PlanePublisher>(std::move(ids), PlanePublisher::Options{});
    watcher =
        std::make_unique<LabelWatcher>(docker, LabelWatcher::Options{planes, "", {UdpBanMethod::kOff, {}}},
                                       [](const std::string&, const std::vector<PlaneTarget>&) {});
    api = std::make_unique<ResolverApi>(planes, AclPolicy::defaults(planes), *publisher, *watcher);
  }
  static http::Request get(const std::string& target, const std::string& local_ip) {
    http::Request r;
    r.method = "GET";
    r.target = target;
    r.local_ip = local_ip;
    r.peer_ip = "127.0.0.1";
    return r;
  }
  http::Response admin(const std::string& target) { return api->handle_admin(get(target, "127.0.0.1")); }

  std::vector<std::string> planes{"ops", "chain", "wallet"};
  engine::DockerClient docker{"/nonexistent/docker.sock"};
  std::unique_ptr<PlanePublisher> publisher;
  std::unique_ptr<LabelWatcher> watcher;
  std::unique_ptr<ResolverApi> api;
};

TEST(ResolverApi, UnknownPlanesShareOneBoundedMetricsSeries) {
  Parts p;
  for (int i = 0; i < 200; ++i) EXPECT_EQ(p.admin(fmt::format("/v1/resolve/svc@plane{}", i)).status, 404);
  EXPECT_EQ(p.admin("/v1/resolve/svc@ops").status, 503) << "tor is not up: fail-closed";
  auto metrics = p.admin("/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string& m = metrics.body;
  EXPECT_NE(m.find("beta_resolutions_total{plane=\"unknown\",result=\"not_found\"} 200\n"), std::string::npos)
      << m;
  EXPECT_NE(m.find("beta_resolutions_total{plane=\"ops\",result=\"unavailable\"} 1\n"), std::string::npos)
      << m;
  EXPECT_EQ(m.find("plane17"), std::string::npos) << "no series per requested plane";
  for (const char* family : {"beta_onion_published", "beta_resolutions_total", "beta_tor_up"}) {
    EXPECT_NE(m.find(fmt::format("# TYPE {} ", family)), std::string::npos) << family;
    EXPECT_EQ(m.find(fmt::format("# TYPE {} ", family)), m.rfind(fmt::format("# TYPE {} ", family)))
        << "TYPE once per family";
  }
  EXPECT_NE(m.find("beta_onion_published{plane=\"wallet\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("beta_acl_denials_total{plane=\"chain\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("beta_tor_up 0\n"), std::string::npos) << m;
}

TEST(ResolverApi, HealthNamesWhatIsDown) {
  Parts p;
  auto h = p.admin("/v1/health");
  EXPECT_EQ(h.status, 503);
  auto body = nlohmann::json::parse(h.body);
  EXPECT_FALSE(body["ok"].get<bool>());
  EXPECT_EQ(body["problems"].size(), 5u) << body.dump();  // tor, three planes, the label watcher
}

TEST(ResolverApi, MetricsListenerServesOnlyMetrics) {
  Parts p;
  auto metrics = p.api->handle_metrics(Parts::get("/metrics", "10.0.0.2"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("beta_tor_up 0\n"), std::string::npos) << metrics.body;
  // What the admin listener answers is not reachable through the metrics port.
  for (const char* target : {"/v1/health", "/v1/onions", "/v1/resolve/svc@ops",
                             "/v1/acl/check?from=a@ops&to=b@ops", "/metrics/../v1/health", "/"})
    EXPECT_EQ(p.api->handle_metrics(Parts::get(target, "10.0.0.2")).status, 404) << target;
  auto post = Parts::get("/metrics", "10.0.0.2");
  post.method = "POST";
  EXPECT_EQ(p.api->handle_metrics(post).status, 405);
}

TEST(ResolverApi, AclCheckRefusesABadEscapeWithoutThrowing) {
  Parts p;
  EXPECT_EQ(p.admin("/v1/acl/check?from=walletd%40wallet&to=tron-node%40wallet").status, 200);
  auto bad = p.admin("/v1/acl/check?from=walletd%zzwallet&to=tron-node@wallet");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("not a percent-escape"), std::string::npos) << bad.body;
  auto allowed = nlohmann::json::parse(p.admin("/v1/acl/check?from=walletd@wallet&to=tron-node@wallet").body);
  EXPECT_TRUE(allowed["allowed"].get<bool>() == false) << "the default wallet plane denies";
}

TEST(ResolverApi, ResolverRefusesCallersFromNoPlaneNetwork) {
  Parts p;
  auto r = p.api->handle_resolver(Parts::get("/v1/resolve/svc@ops", "10.9.9.9"));
  EXPECT_EQ(r.status, 403);
}

}  // namespace
}  // namespace lucid::beta
