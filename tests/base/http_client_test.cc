// The HTTP client against the real server on loopback: it never takes a proxy from the environment
// (Lucid's traffic goes only where it is sent), and a response larger than the caller's bound fails
// instead of growing in memory.
#include <string>

#include <gtest/gtest.h>

#include "lucid/base/http_client.h"
#include "lucid/base/http_server.h"
#include "testing/testing.h"

using namespace lucid;

namespace {

using lucid::testing::ScopedEnv;

TEST(HttpClient, IgnoresTheEnvironmentsProxiesAndBoundsTheBody) {
  auto server = http::Server::start({"127.0.0.1:0"}, [](const http::Request& req) {
    if (req.target == "/big") return http::Response{200, "text/plain", std::string(1 << 20, 'x')};
    return http::Response{200, "text/plain", "direct\n"};
  });
  ASSERT_TRUE(server) << server.error().message;
  const std::string base = "http://127.0.0.1:" + std::to_string((*server)->port(0));
  {
    // A proxy that refuses every connection (port 1 on loopback): taking it would fail the request.
    ScopedEnv http_proxy("http_proxy", "http://127.0.0.1:1");
    ScopedEnv all_proxy("ALL_PROXY", "socks5h://127.0.0.1:1");
    ScopedEnv no_proxy("no_proxy", "");
    auto r = http_get(base + "/");
    ASSERT_TRUE(r) << "the request took the environment's proxy: " << r.error().message;
    EXPECT_EQ(r->body, "direct\n");
    // The proxy the caller names is the only one taken: the refusing one fails the request.
    HttpOptions via;
    via.socks_proxy = "127.0.0.1:1";
    EXPECT_FALSE(http_get(base + "/", via));
  }
  HttpOptions bounded;
  bounded.max_body_bytes = 64 * 1024;
  auto big = http_get(base + "/big", bounded);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("larger than 65536 bytes"), std::string::npos) << big.error().message;
  auto whole = http_get(base + "/big");
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->body.size(), 1u << 20);
  (*server)->stop();
}

}  // namespace
