// EtcdClient against real etcd 3.4 members (Debian's etcd-server, started by testing::EtcdCluster):
// keys with slashes, 0xff and NUL bytes, ranges and limits, put-if-absent, transactions, leases,
// the watch (replay, streaming, stop, compaction), and one and two of three members lost.
// A fake gateway (FakeGateway below) is used only for what a real etcd cannot be made to do: split its
// watch messages at chosen bytes, answer garbage, or stream without end.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/http_client.h"
#include "lucid/base/tcp.h"
#include "lucid/chain/etcd_client.h"
#include "testing/etcd_cluster.h"
#include "testing/registry.h"

namespace lucid::chain {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string bin(std::string_view s) {
  return std::string(s);
}

std::vector<std::string> keys_of(const std::vector<EtcdKeyValue>& kvs) {
  std::vector<std::string> out;
  for (const auto& kv : kvs) out.push_back(kv.key);
  return out;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

// A watch running on its own thread, stopped and joined when it goes out of scope.
class BackgroundWatch {
 public:
  BackgroundWatch(EtcdClient& client, std::string prefix, std::int64_t from) {
    thread_ = std::thread([this, &client, prefix = std::move(prefix), from] {
      Status s = client.watch(
          prefix, from,
          [this](const std::vector<EtcdEvent>& batch, std::int64_t) {
            std::lock_guard lock(mu_);
            events_.insert(events_.end(), batch.begin(), batch.end());
            return true;
          },
          [this] { return stop_.load(); });
      std::lock_guard lock(mu_);
      result_ = std::move(s);
      ended_ = Clock::now();
      done_ = true;
    });
  }
  ~BackgroundWatch() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  BackgroundWatch(const BackgroundWatch&) = delete;
  BackgroundWatch& operator=(const BackgroundWatch&) = delete;

  std::vector<EtcdEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  bool done() {
    std::lock_guard lock(mu_);
    return done_;
  }
  // Asks it to stop; the seconds until the watch returned.
  double stop_and_join() {
    const auto asked = Clock::now();
    stop_ = true;
    thread_.join();
    return std::chrono::duration<double>(ended_ - asked).count();
  }
  Status result() {
    std::lock_guard lock(mu_);
    return result_;
  }

 private:
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<EtcdEvent> events_;
  Status result_;
  bool done_ = false;
  Clock::time_point ended_;
};

class EtcdTest : public ::testing::Test {
 protected:
  void start(int members) {
    if (!testing::EtcdCluster::available()) GTEST_SKIP() << testing::EtcdCluster::skip_reason();
    auto started = cluster_.start(members);
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }
  testing::EtcdCluster cluster_;
};

TEST(EtcdPrefixEnd, IncrementsTheLastByteBelow0xffAndCarries) {
  EXPECT_EQ(etcd_prefix_end("a/b"), "a/c");
  EXPECT_EQ(etcd_prefix_end(bin("a/b\xff")), "a/c");
  EXPECT_EQ(etcd_prefix_end(bin("a\xfe\xff\xff")), bin("a\xff"));
  EXPECT_EQ(etcd_prefix_end(bin("\xff\xff")), std::string(1, '\0'));
  EXPECT_EQ(etcd_prefix_end(""), std::string(1, '\0'));
}

TEST_F(EtcdTest, PutGetRangeWithBinaryKeysAndLimits) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  if (IsSkipped()) return;
  EtcdClient etcd(cluster_.client_urls());
  const std::vector<std::string> keys = {"a/b/1",
                                         "a/b/2",
                                         bin("a/b\xff"),
                                         bin("a/b\xff\xff"),
                                         std::string("a/b\0z", 5),
                                         "a/c",
                                         bin("\xff\xff\x01"),
                                         "z"};
  std::int64_t last = 0;
  for (const auto& k : keys) {
    auto rev = etcd.put(k, fmt::format("value of {}", k) + std::string("\0\xff", 2));
    ASSERT_TRUE(rev.has_value()) << rev.error().message;
    EXPECT_GT(*rev, last);
    last = *rev;
  }
  EXPECT_EQ(etcd.last_revision(), last);

  auto got = etcd.get(bin("a/b\xff\xff"));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, bin("value of a/b\xff\xff") + std::string("\0\xff", 2));
  EXPECT_EQ((*got)->version, 1);
  EXPECT_EQ((*got)->create_revision, (*got)->mod_revision);
  auto missing = etcd.get("a/b");
  ASSERT_TRUE(missing.has_value()) << missing.error().message;
  EXPECT_FALSE(missing->has_value());

  // Key order is byte order: NUL sorts first, 0xff last.
  auto under = etcd.range("a/b");
  ASSERT_TRUE(under.has_value()) << under.error().message;
  EXPECT_EQ(keys_of(*under), (std::vector<std::string>{std::string("a/b\0z", 5), "a/b/1", "a/b/2",
                                                       bin("a/b\xff"), bin("a/b\xff\xff")}));
  // A prefix ending in 0xff carries: "a/b\xff" ends before "a/c".
  auto carried = etcd.range(bin("a/b\xff"));
  ASSERT_TRUE(carried.has_value()) << carried.error().message;
  EXPECT_EQ(keys_of(*carried), (std::vector<std::string>{bin("a/b\xff"), bin("a/b\xff\xff")}));
  auto all_ff = etcd.range(bin("\xff\xff"));
  ASSERT_TRUE(all_ff.has_value()) << all_ff.error().message;
  EXPECT_EQ(keys_of(*all_ff), (std::vector<std::string>{bin("\xff\xff\x01")}));
  auto everything = etcd.range("");
  ASSERT_TRUE(everything.has_value()) << everything.error().message;
  EXPECT_EQ(everything->size(), keys.size());

  auto first_two = etcd.range("a/", 2);
  ASSERT_TRUE(first_two.has_value()) << first_two.error().message;
  EXPECT_EQ(keys_of(*first_two), (std::vector<std::string>{std::string("a/b\0z", 5), "a/b/1"}));
  auto page = etcd.range("a/b", 2, "a/b/2");  // paging on from a key, inclusive
  ASSERT_TRUE(page.has_value()) << page.error().message;
  EXPECT_EQ(keys_of(*page), (std::vector<std::string>{"a/b/2", bin("a/b\xff")}));
  auto past = etcd.range("a/b", 0, "a/c");  // a start key past the prefix: nothing
  ASSERT_TRUE(past.has_value()) << past.error().message;
  EXPECT_TRUE(past->empty());

  auto erased = etcd.erase("a/b/1");
  ASSERT_TRUE(erased.has_value()) << erased.error().message;
  EXPECT_EQ(*erased, 1);
  auto again = etcd.erase("a/b/1");
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, 0);
  auto rev = etcd.revision();
  ASSERT_TRUE(rev.has_value()) << rev.error().message;
  EXPECT_EQ(*rev, last + 1);

  // etcd's own refusal: kInvalidArgument with its message.
  auto empty_key = etcd.put("", "x");
  ASSERT_FALSE(empty_key.has_value());
  EXPECT_EQ(empty_key.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(empty_key.error().message.find("key is not provided"), std::string::npos)
      << empty_key.error().message;
}

TEST_F(EtcdTest, PutIfAbsentWritesOnce) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  if (IsSkipped()) return;
  EtcdClient etcd(cluster_.client_urls());
  auto first = etcd.put_if_absent("block/1", "first");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = etcd.put_if_absent("block/1", "second");
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_FALSE(*second);
  auto kept = etcd.get("block/1");
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_EQ((*kept)->value, "first");
  EXPECT_EQ((*kept)->version, 1);
}

TEST_F(EtcdTest, TxnTakesTheBranchItsComparesSelect) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  if (IsSkipped()) return;
  EtcdClient etcd(cluster_.client_urls());
  auto rev = etcd.put("k", "v1");
  ASSERT_TRUE(rev.has_value()) << rev.error().message;
  ASSERT_TRUE(etcd.put("other", "o").has_value());

  using C = EtcdCompare;
  const EtcdOp get_k{EtcdOp::Type::kGet, "k", "", 0};
  const EtcdOp get_other{EtcdOp::Type::kGet, "other", "", 0};
  const EtcdOp put_k{EtcdOp::Type::kPut, "k", "v2", 0};
  const EtcdOp del_other{EtcdOp::Type::kDelete, "other", "", 0};

  // Version 1 and mod revision as written: the success branch; its get sees its own put.
  auto ok = etcd.txn({C{"k", C::Target::kVersion, C::Op::kEqual, 1, ""},
                      C{"k", C::Target::kModRevision, C::Op::kEqual, *rev, ""}},
                     {put_k, get_k, del_other}, {get_k});
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_TRUE(ok->succeeded);
  EXPECT_EQ(ok->revision, *rev + 2);
  ASSERT_EQ(ok->responses.size(), 3u);
  EXPECT_TRUE(ok->responses[0].empty());
  ASSERT_EQ(ok->responses[1].size(), 1u);
  EXPECT_EQ(ok->responses[1][0].value, "v2");
  EXPECT_EQ(ok->responses[1][0].version, 2);
  EXPECT_TRUE(ok->responses[2].empty());

  // The same compares again: the mod revision moved on, so the failure branch reads what is there.
  auto stale = etcd.txn({C{"k", C::Target::kVersion, C::Op::kEqual, 1, ""},
                         C{"k", C::Target::kModRevision, C::Op::kEqual, *rev, ""}},
                        {put_k}, {get_k, get_other});
  ASSERT_TRUE(stale.has_value()) << stale.error().message;
  EXPECT_FALSE(stale->succeeded);
  EXPECT_EQ(stale->revision, *rev + 2);  // nothing written
  ASSERT_EQ(stale->responses.size(), 2u);
  ASSERT_EQ(stale->responses[0].size(), 1u);
  EXPECT_EQ(stale->responses[0][0].value, "v2");
  EXPECT_TRUE(stale->responses[1].empty());  // "other" was deleted by the first txn

  // Value, greater/less and create-revision compares.
  auto by_value = etcd.txn(
      {C{"k", C::Target::kValue, C::Op::kEqual, 0, "v2"}, C{"k", C::Target::kVersion, C::Op::kGreater, 1, ""},
       C{"k", C::Target::kCreateRevision, C::Op::kLess, *rev + 1, ""},
       C{"k", C::Target::kValue, C::Op::kNotEqual, 0, "v1"}},
      {get_k});
  ASSERT_TRUE(by_value.has_value()) << by_value.error().message;
  EXPECT_TRUE(by_value->succeeded);
  auto wrong_value = etcd.txn({C{"k", C::Target::kValue, C::Op::kEqual, 0, "v1"}}, {put_k});
  ASSERT_TRUE(wrong_value.has_value()) << wrong_value.error().message;
  EXPECT_FALSE(wrong_value->succeeded);
  EXPECT_TRUE(wrong_value->responses.empty());
}

TEST_F(EtcdTest, LeasesKeepKeysAliveExpireAndRevoke) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  if (IsSkipped()) return;
  EtcdClient etcd(cluster_.client_urls());
  // 2 s is etcd's shortest TTL here (1.5 election timeouts, rounded up); shorter ones are raised to it.
  auto lease = etcd.grant_lease(2);
  ASSERT_TRUE(lease.has_value()) << lease.error().message;
  EXPECT_EQ(lease->ttl_seconds, 2);
  ASSERT_TRUE(etcd.put("leased", "x", lease->id).has_value());
  auto kv = etcd.get("leased");
  ASSERT_TRUE(kv.has_value() && kv->has_value());
  EXPECT_EQ((*kv)->lease, lease->id);

  // Kept alive for twice its TTL: the key stays.
  const auto kept_until = Clock::now() + 4s;
  while (Clock::now() < kept_until) {
    auto ttl = etcd.keep_alive(lease->id);
    ASSERT_TRUE(ttl.has_value()) << ttl.error().message;
    EXPECT_EQ(*ttl, 2);
    std::this_thread::sleep_for(500ms);
  }
  kv = etcd.get("leased");
  ASSERT_TRUE(kv.has_value() && kv->has_value()) << "the key vanished although its lease was kept alive";

  // Left alone it expires and takes the key with it.
  const auto left = Clock::now();
  EXPECT_TRUE(eventually(
      [&] {
        auto r = etcd.get("leased");
        return r.has_value() && !r->has_value();
      },
      8s));
  EXPECT_GE(seconds_since(left), 1.0);
  auto expired = etcd.keep_alive(lease->id);
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().kind, ErrorKind::kNotFound) << expired.error().message;

  // Revoked: the key goes at once.
  auto second = etcd.grant_lease(60);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  ASSERT_TRUE(etcd.put("leased2", "y", second->id).has_value());
  ASSERT_TRUE(etcd.revoke_lease(second->id).has_value());
  auto gone = etcd.get("leased2");
  ASSERT_TRUE(gone.has_value()) << gone.error().message;
  EXPECT_FALSE(gone->has_value());
  auto revoked = etcd.keep_alive(second->id);
  ASSERT_FALSE(revoked.has_value());
  EXPECT_EQ(revoked.error().kind, ErrorKind::kNotFound) << revoked.error().message;
  auto twice = etcd.revoke_lease(second->id);
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().kind, ErrorKind::kNotFound) << twice.error().message;
  auto unknown = etcd.put("leased3", "z", second->id);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound) << unknown.error().message;
}

TEST_F(EtcdTest, WatchReplaysThenStreamsAndStops) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  if (IsSkipped()) return;
  EtcdClient etcd(cluster_.client_urls());
  auto from = etcd.put("w/1", "one");
  ASSERT_TRUE(from.has_value()) << from.error().message;
  ASSERT_TRUE(etcd.put("x/outside", "no").has_value());
  ASSERT_TRUE(etcd.put("w/2", "two").has_value());
  ASSERT_TRUE(etcd.put("w/1", "one again").has_value());

  BackgroundWatch watch(etcd, "w/", *from);
  ASSERT_TRUE(eventually([&] { return watch.events().size() >= 3; }, 5s)) << "the past was not replayed";
  ASSERT_TRUE(etcd.put("w/3", "three").has_value());
  auto deleted_at = etcd.erase("w/2");
  ASSERT_TRUE(deleted_at.has_value());
  ASSERT_TRUE(etcd.put("x/outside", "still no").has_value());
  ASSERT_TRUE(eventually([&] { return watch.events().size() >= 5; }, 5s));
  std::this_thread::sleep_for(200ms);
  const double stop_took = watch.stop_and_join();
  EXPECT_LT(stop_took, 3.0) << "stop() is checked about once a second (libcurl's idle progress interval)";
  EXPECT_TRUE(watch.result().has_value()) << watch.result().error().message;

  auto events = watch.events();
  ASSERT_EQ(events.size(), 5u);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"w/1", "one"}, {"w/2", "two"}, {"w/1", "one again"}, {"w/3", "three"}, {"w/2", ""}};
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].kv.key, want[i].first) << i;
    EXPECT_EQ(events[i].kv.value, want[i].second) << i;
    if (i > 0) {
      EXPECT_GT(events[i].kv.mod_revision, events[i - 1].kv.mod_revision) << i;
    }
  }
  EXPECT_EQ(events[0].kv.mod_revision, *from);
  EXPECT_EQ(events[4].type, EtcdEvent::Type::kDelete);
  EXPECT_EQ(events[3].type, EtcdEvent::Type::kPut);
  EXPECT_EQ(events[2].kv.version, 2);

  // on_events returning false ends the watch with success, as stop() does.
  int batches = 0;
  auto ended = etcd.watch(
      "w/", *from, [&](const std::vector<EtcdEvent>&, std::int64_t) { return ++batches < 1; },
      [] { return false; });
  EXPECT_TRUE(ended.has_value()) << ended.error().message;
  EXPECT_EQ(batches, 1);
}

TEST_F(EtcdTest, WatchFromACompactedRevisionIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  if (IsSkipped()) return;
  EtcdClient etcd(cluster_.client_urls());
  auto first = etcd.put("c/1", "a");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_TRUE(etcd.put("c/1", "b").has_value());
  auto last = etcd.put("c/1", "c");
  ASSERT_TRUE(last.has_value());
  auto compacted = http_post(cluster_.client_url(0) + "/v3/kv/compaction",
                             json{{"revision", std::to_string(*last)}, {"physical", true}}.dump());
  ASSERT_TRUE(compacted.has_value()) << compacted.error().message;
  ASSERT_EQ(compacted->status, 200) << compacted->body;

  const auto t0 = Clock::now();
  auto watched = etcd.watch(
      "c/", *first, [](const std::vector<EtcdEvent>&, std::int64_t) { return true; }, [] { return false; });
  EXPECT_LT(seconds_since(t0), 3.0);
  ASSERT_FALSE(watched.has_value());
  EXPECT_EQ(watched.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(watched.error().message.find("compacted"), std::string::npos) << watched.error().message;

  // From the compaction revision on, it still works.
  int seen = 0;
  auto from_kept = etcd.watch(
      "c/", *last,
      [&](const std::vector<EtcdEvent>& batch, std::int64_t) {
        seen += static_cast<int>(batch.size());
        return false;
      },
      [] { return false; });
  EXPECT_TRUE(from_kept.has_value()) << from_kept.error().message;
  EXPECT_EQ(seen, 1);
}

TEST_F(EtcdTest, UnreachableEndpointsAreSkippedAndNamed) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  if (IsSkipped()) return;
  const std::string dead = fmt::format("http://127.0.0.1:{}", testing::free_loopback_port());
  EtcdClient etcd({dead, cluster_.client_url(0)});
  EXPECT_EQ(etcd.current_endpoint(), dead);
  auto put = etcd.put("k", "v");
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(etcd.current_endpoint(), cluster_.client_url(0));
  EXPECT_EQ(etcd.healthy_endpoints(), 1);

  EtcdClient nowhere({dead}, 1s);
  const auto t0 = Clock::now();
  auto none = nowhere.get("k");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().kind, ErrorKind::kIo);
  EXPECT_NE(none.error().message.find(dead), std::string::npos) << none.error().message;
  auto no_watch = nowhere.watch(
      "", 0, [](const std::vector<EtcdEvent>&, std::int64_t) { return true; }, [] { return false; });
  ASSERT_FALSE(no_watch.has_value());
  EXPECT_EQ(no_watch.error().kind, ErrorKind::kIo);
  EXPECT_LT(seconds_since(t0), 2.0);

  EtcdClient tls({"https://127.0.0.1:1"});
  auto refused = tls.watch(
      "", 0, [](const std::vector<EtcdEvent>&, std::int64_t) { return true; }, [] { return false; });
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, ErrorKind::kInvalidArgument);
}

// --- Three members.

// The member ids and the leader's, from /v3/maintenance/status.
int leader_index(const testing::EtcdCluster& cluster) {
  std::vector<std::string> ids;
  std::string leader;
  for (int i = 0; i < cluster.size(); ++i) {
    if (!cluster.running(i)) {
      ids.emplace_back();
      continue;
    }
    auto r = http_post(cluster.client_url(i) + "/v3/maintenance/status", "{}");
    json status = r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
    if (!status.is_object()) return -1;
    ids.push_back(status["header"].value("member_id", ""));
    leader = status.value("leader", "");
  }
  for (int i = 0; i < cluster.size(); ++i)
    if (!ids[static_cast<std::size_t>(i)].empty() && ids[static_cast<std::size_t>(i)] == leader) return i;
  return -1;
}

TEST_F(EtcdTest, ThreeMembersSurviveTheLossOfTheConnectedOne) {
  ASSERT_NO_FATAL_FAILURE(start(3));
  if (IsSkipped()) return;
  int leader = -1;
  ASSERT_TRUE(eventually([&] { return (leader = leader_index(cluster_)) >= 0; }, 5s));
  // The client talks to a follower first; that follower dies.
  const int victim = (leader + 1) % 3;
  std::vector<std::string> endpoints;
  for (int k = 0; k < 3; ++k) endpoints.push_back(cluster_.client_url((victim + k) % 3));
  EtcdClient etcd(endpoints);
  ASSERT_TRUE(etcd.put("before", "1").has_value());
  EXPECT_EQ(etcd.current_endpoint(), cluster_.client_url(victim));
  BackgroundWatch watch(etcd, "after", 0);
  ASSERT_TRUE(eventually([&] { return etcd.current_endpoint() == cluster_.client_url(victim); }, 2s));
  std::this_thread::sleep_for(300ms);  // the watch is established on the victim

  cluster_.kill(victim);
  const auto t0 = Clock::now();
  auto put = etcd.put("after", "2");
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_NE(etcd.current_endpoint(), cluster_.client_url(victim));
  auto got = etcd.get("before");
  ASSERT_TRUE(got.has_value() && got->has_value()) << (got ? "missing" : got.error().message);
  auto once = etcd.put_if_absent("block/7", "b");
  ASSERT_TRUE(once.has_value() && *once) << (once ? "not written" : once.error().message);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_EQ(etcd.healthy_endpoints(), 2);

  // The watch on the dead member ends with an error; the caller re-watches on the others.
  ASSERT_TRUE(eventually([&] { return watch.done(); }, 5s));
  ASSERT_FALSE(watch.result().has_value());
  EXPECT_EQ(watch.result().error().kind, ErrorKind::kIo) << watch.result().error().message;
  int seen = 0;
  auto rewatch = etcd.watch(
      "after", *put,
      [&](const std::vector<EtcdEvent>& batch, std::int64_t) {
        seen += static_cast<int>(batch.size());
        return false;
      },
      [] { return false; });
  EXPECT_TRUE(rewatch.has_value()) << rewatch.error().message;
  EXPECT_EQ(seen, 1);
}

TEST_F(EtcdTest, ThreeMembersLosingTheLeaderElectAnotherSoon) {
  ASSERT_NO_FATAL_FAILURE(start(3));
  if (IsSkipped()) return;
  int leader = -1;
  ASSERT_TRUE(eventually([&] { return (leader = leader_index(cluster_)) >= 0; }, 5s));
  std::vector<std::string> endpoints;
  for (int k = 0; k < 3; ++k) endpoints.push_back(cluster_.client_url((leader + k) % 3));
  EtcdClient etcd(endpoints);
  ASSERT_TRUE(etcd.put("k", "1").has_value());
  cluster_.kill(leader);
  // Writes answer kIo (transient) until a new leader is elected (election timeout 1 s), then succeed.
  const auto t0 = Clock::now();
  Result<std::int64_t> put = fail(ErrorKind::kIo, "not tried");
  while (!put.has_value() && seconds_since(t0) < 10) {
    put = etcd.put("k", "2");
    if (!put.has_value()) {
      EXPECT_EQ(put.error().kind, ErrorKind::kIo) << put.error().message;
    }
  }
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_LT(seconds_since(t0), 6.0);
}

TEST_F(EtcdTest, ThreeMembersLosingTwoFailFastAndRecover) {
  ASSERT_NO_FATAL_FAILURE(start(3));
  if (IsSkipped()) return;
  const auto timeout = 2s;
  EtcdClient etcd(cluster_.client_urls(), timeout);
  ASSERT_TRUE(etcd.put("kept", "1").has_value());
  const std::string connected = etcd.current_endpoint();
  int first = 0;
  while (cluster_.client_url(first) != connected) ++first;
  const int second = (first + 1) % 3;
  cluster_.kill(first);
  cluster_.kill(second);

  // Every kind of request fails with kIo, each within its timeout (plus the refused dead members).
  const double bound = std::chrono::duration<double>(timeout).count() + 1.0;
  for (int round = 0; round < 2; ++round) {
    auto t0 = Clock::now();
    auto put = etcd.put("lost", "x");
    ASSERT_FALSE(put.has_value());
    EXPECT_EQ(put.error().kind, ErrorKind::kIo) << put.error().message;
    EXPECT_LT(seconds_since(t0), bound) << put.error().message;
    t0 = Clock::now();
    auto get = etcd.get("kept");
    ASSERT_FALSE(get.has_value());
    EXPECT_EQ(get.error().kind, ErrorKind::kIo) << get.error().message;
    EXPECT_LT(seconds_since(t0), bound) << get.error().message;
    t0 = Clock::now();
    auto txn = etcd.put_if_absent("block/9", "b");
    ASSERT_FALSE(txn.has_value());
    EXPECT_EQ(txn.error().kind, ErrorKind::kIo) << txn.error().message;
    EXPECT_LT(seconds_since(t0), bound) << txn.error().message;
    t0 = Clock::now();
    auto watched = etcd.watch(
        "", 0, [](const std::vector<EtcdEvent>&, std::int64_t) { return true; }, [] { return false; });
    ASSERT_FALSE(watched.has_value());
    EXPECT_EQ(watched.error().kind, ErrorKind::kIo) << watched.error().message;
    EXPECT_LT(seconds_since(t0), 3 * bound) << watched.error().message;
    std::this_thread::sleep_for(1500ms);  // the survivor has noticed it has no leader: the fast path
  }
  EXPECT_EQ(etcd.healthy_endpoints(), 0);

  ASSERT_TRUE(cluster_.restart(first).has_value());
  ASSERT_TRUE(cluster_.restart(second).has_value());
  for (int i : {first, second}) {
    auto healthy = cluster_.wait_healthy(i, 15s);
    ASSERT_TRUE(healthy.has_value()) << healthy.error().message;
  }
  Result<std::int64_t> put = fail(ErrorKind::kIo, "not tried");
  ASSERT_TRUE(eventually(
      [&] {
        put = etcd.put("lost", "found");
        return put.has_value();
      },
      10s))
      << put.error().message;
  auto kept = etcd.get("kept");
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_EQ((*kept)->value, "1");
  EXPECT_EQ(etcd.healthy_endpoints(), 3);
}

// --- A fake gateway, for byte-level framing a real etcd cannot be made to produce.

class FakeGateway {
 public:
  // Answers each connection with `pieces`, written one by one with a pause between (so each arrives
  // in its own read), then holds the connection open until destroyed.
  explicit FakeGateway(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {
    auto l = tcp::listen("127.0.0.1:0");
    if (!l) return;
    listener_ = std::move(*l);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeGateway() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  FakeGateway(const FakeGateway&) = delete;
  FakeGateway& operator=(const FakeGateway&) = delete;
  std::string url() const { return fmt::format("http://127.0.0.1:{}", listener_.port); }
  std::string request() {
    std::lock_guard lock(mu_);
    return request_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_.fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      tcp::Fd fd(::accept(listener_.fd.get(), nullptr, nullptr));
      if (fd.get() < 0) continue;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        pollfd q{fd.get(), POLLIN, 0};
        if (::poll(&q, 1, 1000) <= 0) break;
        ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        request_ = got;
      }
      for (const auto& piece : pieces_) {
        if (stop_ || !tcp::send_all(fd.get(), piece)) break;
        std::this_thread::sleep_for(20ms);
      }
      while (!stop_) std::this_thread::sleep_for(20ms);
    }
  }

  std::vector<std::string> pieces_;
  tcp::Listener listener_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string request_;
};

std::string chunk(std::string_view data) {
  return fmt::format("{:x}\r\n{}\r\n", data.size(), data);
}

constexpr std::string_view kStreamHead =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST(EtcdWatchFraming, MessagesSplitAcrossChunksAndPackedInOne) {
  const std::string created = R"({"result":{"header":{"revision":"7"},"created":true}})"
                              "\n";
  const std::string one =
      R"({"result":{"header":{"revision":"8"},"events":[{"kv":{"key":"dy8x","mod_revision":"8","value":"b25l"}}]}})"
      "\n";
  const std::string two =
      R"({"result":{"header":{"revision":"9"},"events":[{"type":"DELETE","kv":{"key":"dy8x","mod_revision":"9"}}]}})";
  const std::string three =
      R"({"result":{"header":{"revision":"10"},"events":[{"kv":{"key":"dy97fQ==","mod_revision":"10","value":"In0i"}}]}})";
  // The created message and half of the first event in one chunk; the other half, the second and the
  // third in the next (whose size line is itself split across two writes); then the end of a chunk.
  const std::string first_chunk = chunk(created + one.substr(0, 40));
  const std::string second_chunk = chunk(one.substr(40) + two + "\n" + three + "\n");
  std::vector<std::string> pieces = {std::string(kStreamHead),   first_chunk.substr(0, 10),
                                     first_chunk.substr(10),     second_chunk.substr(0, 1),
                                     second_chunk.substr(1, 50), second_chunk.substr(51)};
  FakeGateway fake(pieces);
  EtcdClient etcd({fake.url()}, 2s);
  std::vector<EtcdEvent> events;
  std::vector<std::int64_t> revisions;
  auto watched = etcd.watch(
      "w/", 8,
      [&](const std::vector<EtcdEvent>& batch, std::int64_t revision) {
        events.insert(events.end(), batch.begin(), batch.end());
        revisions.push_back(revision);
        return revisions.size() < 3;
      },
      [] { return false; });
  ASSERT_TRUE(watched.has_value()) << watched.error().message;
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(revisions, (std::vector<std::int64_t>{8, 9, 10}));
  EXPECT_EQ(events[0].kv.key, "w/1");
  EXPECT_EQ(events[0].kv.value, "one");
  EXPECT_EQ(events[1].type, EtcdEvent::Type::kDelete);
  EXPECT_EQ(events[2].kv.key, "w/{}");  // braces inside a string do not confuse the framing
  EXPECT_EQ(events[2].kv.value, "\"}\"");
  EXPECT_EQ(etcd.last_revision(), 10);
  const std::string request = fake.request();
  EXPECT_NE(request.find("POST /v3/watch HTTP/1.1"), std::string::npos) << request;
  EXPECT_NE(request.find("Grpc-Metadata-hasleader: true"), std::string::npos) << request;
}

TEST(EtcdWatchFraming, AnEndlessMessageIsCutOffAt16MiB) {
  std::vector<std::string> pieces = {std::string(kStreamHead),
                                     chunk(R"({"result":{"header":{"revision":"7"},"created":true}})"),
                                     chunk(R"({"result":{"events":[{"kv":{"key":")")};
  const std::string filler = chunk(std::string(1 << 20, 'A'));
  for (int i = 0; i < 18; ++i) pieces.push_back(filler);
  FakeGateway fake(pieces);
  EtcdClient etcd({fake.url()}, 2s);
  const auto t0 = Clock::now();
  auto watched = etcd.watch(
      "", 0, [](const std::vector<EtcdEvent>&, std::int64_t) { return true; }, [] { return false; });
  ASSERT_FALSE(watched.has_value());
  EXPECT_EQ(watched.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(watched.error().message.find("longer than"), std::string::npos) << watched.error().message;
  EXPECT_LT(seconds_since(t0), 5.0);
}

TEST(EtcdAnswers, UnparsableAnswersAreCorruptAndNameTheField) {
  auto answer = [](std::string_view body) {
    return fmt::format("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                       body.size(), body);
  };
  {
    FakeGateway fake({answer("not json")});
    auto r = EtcdClient({fake.url()}, 2s).get("k");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt);
    EXPECT_NE(r.error().message.find(fake.url()), std::string::npos) << r.error().message;
  }
  {
    FakeGateway fake({answer(R"({"header":{"revision":"12x"}})")});
    auto r = EtcdClient({fake.url()}, 2s).put("k", "v");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt);
    EXPECT_NE(r.error().message.find("header.revision"), std::string::npos) << r.error().message;
  }
  {
    FakeGateway fake({answer(R"({"header":{"revision":"3"},"kvs":[{"key":"!!!"}],"count":"1"})")});
    auto r = EtcdClient({fake.url()}, 2s).range("k");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt);
    EXPECT_NE(r.error().message.find("kvs[0].key"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace lucid::chain
