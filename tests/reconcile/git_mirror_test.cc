// The reconciler's fetch: which git options a SOCKS proxy adds per scheme (fail-closed), and, checked
// rather than assumed, that with a proxy configured and nothing listening no connection reaches the
// remote (a loopback HTTP server counting connections), while without the proxy one does.
#include <stdlib.h>

#include <atomic>

#include <gtest/gtest.h>

#include "lucid/base/http_server.h"
#include "lucid/reconcile/git_mirror.h"
#include "testing/testing.h"

using namespace lucid;

namespace {

TEST(GitMirror, TrackedRefIsOneDecision) {
  EXPECT_EQ(reconcile::tracked_ref("main"), "refs/heads/main");
  EXPECT_EQ(reconcile::tracked_ref("refs/heads/wave/canary"), "refs/heads/wave/canary");
}

TEST(GitMirror, ProxyOptionsPerScheme) {
  auto none = reconcile::proxy_options("https://example.org/r.git", "");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto http = reconcile::proxy_options("http://abc.onion/r.git", "127.0.0.1:9050");
  ASSERT_TRUE(http);
  EXPECT_EQ(*http, (std::vector<std::string>{"-c", "http.proxy=socks5h://127.0.0.1:9050"}));
  auto ssh = reconcile::proxy_options("ssh://git@abc.onion/r.git", "127.0.0.1:9050");
  ASSERT_TRUE(ssh);
  ASSERT_EQ(ssh->size(), 2u);
  EXPECT_NE((*ssh)[1].find("nc -X 5 -x 127.0.0.1:9050 %h %p"), std::string::npos);
  auto scp = reconcile::proxy_options("git@abc.onion:r.git", "127.0.0.1:9050");
  ASSERT_TRUE(scp);
  EXPECT_EQ(scp->size(), 2u);
  EXPECT_TRUE(reconcile::proxy_options("file:///srv/r.git", "127.0.0.1:9050")->empty());
  EXPECT_TRUE(reconcile::proxy_options("/srv/r.git", "127.0.0.1:9050")->empty());
  EXPECT_FALSE(reconcile::proxy_options("git://abc.onion/r.git", "127.0.0.1:9050"));
  EXPECT_FALSE(reconcile::proxy_options("https://x/r.git", "127.0.0.1:9050' -o x"));
}

TEST(GitMirror, WithAnUnreachableProxyTheRemoteIsNeverContacted) {
  if (!lucid::testing::have_program("git")) GTEST_SKIP() << "git not installed (run scripts/bootstrap)";
  std::atomic<int> hits{0};
  auto remote = http::Server::start({"127.0.0.1:0"}, [&](const http::Request&) {
    ++hits;
    return http::Response{404, "text/plain", "no\n"};
  });
  ASSERT_TRUE(remote) << remote.error().message;
  auto closed = http::Server::start({"127.0.0.1:0"}, [](const http::Request&) { return http::Response{}; });
  ASSERT_TRUE(closed);
  std::uint16_t closed_port = (*closed)->port(0);
  (*closed)->stop();
  closed->reset();  // nothing listens on closed_port any more

  lucid::testing::ScratchDir dir;
  std::string url = "http://127.0.0.1:" + std::to_string((*remote)->port(0)) + "/config.git";
  const std::string proxy = "127.0.0.1:" + std::to_string(closed_port);
  auto proxied = reconcile::fetch_tracked(dir / "mirror.git", url, "refs/heads/main", proxy);
  ASSERT_FALSE(proxied);
  std::printf("through the dead proxy: %s\n", proxied.error().message.c_str());
  EXPECT_EQ(hits.load(), 0) << "the remote was contacted around the proxy";

  // Configuration in the environment must not route around the proxy: an empty per-URL proxy
  // (it would beat http.proxy), or an insteadOf that turns an ssh:// URL (proxied by an ssh
  // ProxyCommand) into an http:// one after the proxy options were chosen. Both point at loopback.
  auto with_config = [&](const std::string& key, const std::string& value, const std::string& fetch_url) {
    ::setenv("GIT_CONFIG_COUNT", "1", 1);
    ::setenv("GIT_CONFIG_KEY_0", key.c_str(), 1);
    ::setenv("GIT_CONFIG_VALUE_0", value.c_str(), 1);
    auto r = reconcile::fetch_tracked(dir / "mirror.git", fetch_url, "refs/heads/main", proxy);
    for (const char* v : {"GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"}) ::unsetenv(v);
    return r;
  };
  int before = hits.load();
  EXPECT_FALSE(with_config("http." + url + ".proxy", "", url));
  EXPECT_EQ(hits.load(), before) << "an empty per-URL proxy in GIT_CONFIG_* bypassed the proxy";
  const std::string ssh_base = "ssh://127.0.0.1:" + std::to_string(closed_port) + "/";
  const std::string http_base = url.substr(0, url.rfind('/') + 1);
  before = hits.load();
  EXPECT_FALSE(with_config("url." + http_base + ".insteadOf", ssh_base, ssh_base + "config.git"));
  EXPECT_EQ(hits.load(), before) << "an insteadOf rewrite to http:// bypassed the proxy";

  auto direct = reconcile::fetch_tracked(dir / "mirror.git", url, "refs/heads/main");
  EXPECT_FALSE(direct);
  EXPECT_GT(hits.load(), 0) << "control: without the proxy the remote is contacted";
  (*remote)->stop();
}

}  // namespace
