// The console's poller against real loopback HTTP: a site that does not answer is polled again after
// the interval, then twice that, up to the bound; one that answers, every interval; and with a SOCKS5
// proxy set, a poll goes through it or fails — it never goes around it to the site.
#include "lucid/console/poller.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>

#include "lucid/base/http_server.h"
#include "testing/registry.h"
#include "testing/testing.h"

namespace lucid::console {
namespace {

rollout::FleetDefinition fleet_of(const std::string& url) {
  rollout::FleetDefinition fleet;
  rollout::WaveDefinition wave;
  wave.name = "canary";
  wave.ref = "refs/heads/wave/canary";
  wave.gates = {"healthchecks"};
  fleet.waves.push_back(wave);
  fleet.clusters.push_back(rollout::ClusterDefinition{"site-a", "canary", {"node"}, url});
  return fleet;
}

TEST(Poller, ASilentSiteIsPolledWithDoublingBackOffUpToTheBound) {
  testing::ScratchDir dir;
  auto store = HistoryStore::open(dir / "history.db");
  ASSERT_TRUE(store);
  PollOptions options;
  options.interval = std::chrono::milliseconds(1000);
  options.max_backoff = std::chrono::milliseconds(4000);
  options.timeout = std::chrono::milliseconds(500);
  Poller poller(*store, options);
  // Nothing listens on the port: every poll fails at once (connection refused).
  auto fleet = fleet_of(fmt::format("http://127.0.0.1:{}/status", testing::free_loopback_port()));
  const std::int64_t t0 = 1'800'000'000'000;
  // Due at: 0, then +1 s, +2 s, +4 s, +4 s (the bound).
  std::vector<std::pair<std::int64_t, std::size_t>> steps = {
      {0, 1}, {999, 0}, {1000, 1}, {2999, 0}, {3000, 1}, {6999, 0}, {7000, 1}, {10999, 0}, {11000, 1}};
  for (const auto& [at, polled] : steps) {
    auto seen = poller.poll_due(fleet, t0 + at);
    ASSERT_EQ(seen.size(), polled) << "at +" << at << " ms";
    if (polled == 1) {
      EXPECT_FALSE(seen[0].reachable);
      EXPECT_FALSE(seen[0].error.empty());
    }
  }
  // Every failed poll is in the history, so a silent site shows as one.
  auto history = store->history("site-a");
  ASSERT_TRUE(history);
  ASSERT_FALSE(history->empty());
  EXPECT_FALSE(history->back().reachable);
}

TEST(Poller, AnAnsweringSiteEveryIntervalAndASocksProxyIsNeverBypassed) {
  testing::ScratchDir dir;
  auto store = HistoryStore::open(dir / "history.db");
  ASSERT_TRUE(store);
  std::atomic<int> requests = 0;
  auto server = http::Server::start({"127.0.0.1:0"}, [&](const http::Request&) {
    ++requests;
    return http::Response{200, "application/json", R"({"cluster":"site-a","last_good":"abc"})", {}};
  });
  ASSERT_TRUE(server) << server.error().message;
  const std::string url = fmt::format("http://127.0.0.1:{}/status", (*server)->port(0));
  PollOptions options;
  options.interval = std::chrono::milliseconds(1000);
  Poller poller(*store, options);
  const std::int64_t t0 = 1'800'000'000'000;
  auto first = poller.poll_due(fleet_of(url), t0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[0].reachable) << first[0].error;
  EXPECT_EQ(first[0].status["last_good"], "abc");
  EXPECT_TRUE(poller.poll_due(fleet_of(url), t0 + 999).empty());
  EXPECT_EQ(poller.poll_due(fleet_of(url), t0 + 1000).size(), 1u);
  EXPECT_EQ(requests, 2);

  // Through a SOCKS5 proxy that is not there: the poll fails; the site sees no request.
  options.socks_proxy = fmt::format("127.0.0.1:{}", testing::free_loopback_port());
  auto via = poll_site("site-a", url, options, t0 / 1000);
  EXPECT_FALSE(via.reachable);
  EXPECT_FALSE(via.error.empty());
  EXPECT_EQ(requests, 2);
  (*server)->stop();
}

}  // namespace
}  // namespace lucid::console
