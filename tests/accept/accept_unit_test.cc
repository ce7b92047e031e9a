// lucid::accept without the engine: which checks a cluster's profiles select, the result JSON and
// its atomic file, reading the site from a checkout and from the reconciler's store and mirror (real
// git), the in-container probes over loopback sockets, and the engine stream demultiplexer.
#include <sys/stat.h>

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lucid/accept/after_promotion.h"
#include "lucid/accept/catalogue.h"
#include "lucid/accept/checks.h"
#include "lucid/accept/net_probe.h"
#include "lucid/accept/report.h"
#include "lucid/accept/site.h"
#include "lucid/base/files.h"
#include "lucid/engine/short_lived.h"
#include "lucid/reconcile/git_mirror.h"
#include "lucid/reconcile/state_store.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace lucid::accept {
namespace {

namespace fs = std::filesystem;
using lucid::testing::run;
using lucid::testing::ScratchDir;
using namespace std::chrono_literals;

const fs::path kDemo = fs::path(LUCID_SOURCE_DIR) / "examples/demo";

std::set<std::string> ids(const std::vector<CheckSpec>& specs) {
  std::set<std::string> out;
  for (const auto& s : specs) out.insert(s.id);
  return out;
}

TEST(Catalogue, EverySpecProfileHasChecksAndIdsAreUnique) {
  std::set<std::string> seen, profiles;
  for (const auto& c : all_checks()) {
    EXPECT_TRUE(seen.insert(c.id).second) << c.id;
    EXPECT_TRUE(c.id.starts_with(c.profile + ".")) << c.id;
    EXPECT_FALSE(c.services.empty()) << c.id;
    profiles.insert(c.profile);
  }
  EXPECT_EQ(profiles, (std::set<std::string>{"cluster", "blockchain", "sessions", "node", "admin",
                                             "observability", "relay"}));
}

TEST(Catalogue, NodeClusterGetsClusterAndNodeChecksOnly) {
  std::vector<std::string> unknown;
  auto specs = select_checks({"node"}, &unknown);
  EXPECT_TRUE(unknown.empty());
  ASSERT_GE(specs.size(), 5u);
  // The per-cluster checks come first, in catalogue order.
  EXPECT_EQ(specs[0].id, "cluster.no-udp");
  EXPECT_EQ(specs[1].id, "cluster.beta-onions");
  EXPECT_EQ(specs[2].id, "cluster.wallet-isolation");
  for (const auto& s : specs) EXPECT_TRUE(s.profile == "cluster" || s.profile == "node") << s.id;
  auto got = ids(specs);
  EXPECT_TRUE(got.contains("node.sample-payload-sealed"));
  EXPECT_TRUE(got.contains("node.encode-cpu"));
  EXPECT_FALSE(got.contains("admin.payout-dry-run"));
}

TEST(Catalogue, ProfilesAddTheirChecksOnceAndUnknownOnesAreReported) {
  std::vector<std::string> unknown;
  auto specs = select_checks({"admin", "relay", "admin", "bogus", "cluster"}, &unknown);
  EXPECT_EQ(unknown, (std::vector<std::string>{"bogus", "cluster"}));
  auto got = ids(specs);
  EXPECT_EQ(got.size(), specs.size());  // no duplicates
  EXPECT_TRUE(got.contains("admin.keys-rotate"));
  EXPECT_TRUE(got.contains("relay.mongos-cross-cluster"));
  EXPECT_FALSE(got.contains("node.sample-payload-sealed"));
  EXPECT_EQ(select_checks({}).size(), 3u);  // every cluster runs the three cluster checks
}

Report sample_report() {
  Report r;
  r.cluster = "demo-a";
  r.commit = "0123456789abcdef0123456789abcdef01234567";
  r.source = "last-good";
  r.profiles = {"node"};
  r.planes = {"ops"};
  r.started = "2026-01-01T00:00:00Z";
  r.finished = "2026-01-01T00:00:05Z";
  CheckResult pass, ni;
  pass.id = "node.sample-payload-sealed";
  pass.profile = "node";
  pass.outcome = Outcome::kPass;
  pass.evidence = "sealed";
  pass.detail = {{"chunks", 2}};
  ni.id = "node.dht-availability";
  ni.profile = "node";
  ni.outcome = Outcome::kNotImplemented;
  r.checks = {pass, ni};
  return r;
}

TEST(Report, NotImplementedIsNeitherFailureNorPass) {
  auto r = sample_report();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.count(Outcome::kPass), 1);
  EXPECT_EQ(r.count(Outcome::kNotImplemented), 1);
  auto j = to_json(r);
  EXPECT_EQ(j["format"], kReportFormat);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["summary"]["pass"], 1);
  EXPECT_EQ(j["summary"]["not_implemented"], 1);
  EXPECT_EQ(j["checks"][1]["result"], "not-implemented");
  EXPECT_EQ(j["checks"][0]["detail"]["chunks"], 2);
  r.checks[1].outcome = Outcome::kFail;
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(to_json(r)["ok"], false);
}

TEST(Report, WrittenAtomicallyAndReplaced) {
  ScratchDir dir;
  auto r = sample_report();
  ASSERT_TRUE(write_report(dir.path(), r));
  auto path = report_path(dir.path(), "demo-a");
  EXPECT_EQ(path, dir / "acceptance/demo-a.json");
  auto text = read_text_file(path);
  ASSERT_TRUE(text);
  EXPECT_EQ(nlohmann::ordered_json::parse(*text), to_json(r));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  r.checks[0].outcome = Outcome::kFail;
  ASSERT_TRUE(write_report(dir.path(), r));
  EXPECT_EQ(nlohmann::json::parse(*read_text_file(path))["ok"], false);
  // Nothing but the file itself is left in the directory (no temporary beside it).
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "acceptance")) ++entries;
  EXPECT_EQ(entries, 1);
}

// When the site's reconciler runs acceptance: once per last-good commit without results of its own,
// again after `retry` while they fail, never for a commit whose results on disk passed. Here the
// state directory has no store, so every run fails at once (no engine is touched) and is counted.
TEST(AcceptanceAfterPromotion, OncePerNewCommitAgainAfterRetryWhileFailing) {
  ScratchDir dir;
  std::vector<std::string> lines;
  Mutex mu;
  AcceptanceAfterPromotion::Options options;
  options.site.cluster = "demo-a";
  options.site.state_dir = dir.path();
  options.retry = 1s;
  options.log = [&](const std::string& line) {
    MutexLock lock(mu);
    lines.push_back(line);
  };
  auto wait_runs = [](const AcceptanceAfterPromotion& a, int n) {
    return lucid::testing::wait_until([&] { return a.runs() >= n; }, 5s);
  };
  {
    AcceptanceAfterPromotion acceptance(options);
    acceptance.after_pass("");  // before the first promotion: nothing to accept
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(acceptance.runs(), 0);
    acceptance.after_pass("c1");
    ASSERT_TRUE(wait_runs(acceptance, 1));
    acceptance.after_pass("c1");  // the same commit: no new run before the retry is due
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(acceptance.runs(), 1);
    ASSERT_TRUE(wait_runs(acceptance, 2));  // the retry, about a second later
    acceptance.after_pass("c2");
    ASSERT_TRUE(wait_runs(acceptance, 3));

    // Results on disk that passed for the new last-good commit are taken as they are.
    auto passed = sample_report();
    passed.commit = "c3";
    ASSERT_TRUE(write_report(dir.path(), passed));
    const int before = acceptance.runs();
    acceptance.after_pass("c3");
    std::this_thread::sleep_for(1500ms);  // past a retry interval
    EXPECT_EQ(acceptance.runs(), before);
  }
  MutexLock lock(mu);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("acceptance:"), std::string::npos) << lines.front();
}

TEST(Report, UnwritableStateDirIsAnError) {
  ScratchDir dir;
  ASSERT_TRUE(write_file_atomic(dir / "file", std::vector<std::uint8_t>{'x'}));
  auto s = write_report(dir / "file", sample_report());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("acceptance"), std::string::npos) << s.error().message;
}

TEST(Site, ReadsTheDemoCluster) {
  auto site = read_site(kDemo, "demo-a");
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->project, "lucid-demo-a");
  EXPECT_EQ(site->profiles, (std::vector<std::string>{"node"}));
  EXPECT_EQ(site->planes, (std::vector<std::string>{"ops"}));
  EXPECT_EQ(site->services, (std::set<std::string>{"beta", "node-worker"}));
  EXPECT_TRUE(site->acl_yaml.has_value());
  auto missing = read_site(kDemo, "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("'nope'"), std::string::npos);
}

TEST(Site, SplitList) {
  EXPECT_EQ(split_list(" ops, chain ,,wallet "), (std::vector<std::string>{"ops", "chain", "wallet"}));
  EXPECT_TRUE(split_list("").empty());
}

TEST(Site, NoStoreOrNoLastGoodSaysWhatToDo) {
  ScratchDir dir;
  auto none = load_site({"demo-a", dir.path(), std::nullopt});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("--repo-checkout"), std::string::npos) << none.error().message;
  ASSERT_TRUE(reconcile::StateStore::open(dir / "state.db"));
  auto never = load_site({"demo-a", dir.path(), std::nullopt});
  ASSERT_FALSE(never);
  EXPECT_NE(never.error().message.find("no last-good commit"), std::string::npos) << never.error().message;
}

// The commit the site runs decides: a later commit of the remote that changed the profiles is not
// read until it becomes last-good.
TEST(Site, ReadsTheLastGoodCommitFromTheMirror) {
  if (!lucid::testing::have_program("git")) GTEST_SKIP() << "git not installed (run scripts/bootstrap)";
  ScratchDir dir;
  const fs::path repo = dir / "repo";
  fs::create_directories(repo);
  fs::copy(kDemo, repo, fs::copy_options::recursive);
  auto git = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{"git",
                                  "-C",
                                  repo.string(),
                                  "-c",
                                  "user.name=t",
                                  "-c",
                                  "user.email=t@t",
                                  "-c",
                                  "commit.gpgsign=false"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  };
  ASSERT_EQ(git({"init", "-q", "-b", "main"}).exit_code, 0);
  ASSERT_EQ(git({"add", "-A"}).exit_code, 0);
  ASSERT_EQ(git({"commit", "-q", "-m", "demo"}).exit_code, 0);
  const fs::path state = dir / "state";
  fs::create_directories(state);
  auto first = reconcile::fetch_tracked(state / "mirror.git", repo.string(), "refs/heads/main");
  ASSERT_TRUE(first) << first.error().message;
  // A newer commit that adds a profile, fetched but not promoted.
  auto text = *read_text_file(repo / "clusters/clusters.yaml");
  text.replace(text.find("profiles: [node]"), 16, "profiles: [node, relay]");
  ASSERT_TRUE(write_file_atomic(repo / "clusters/clusters.yaml",
                                std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
  ASSERT_EQ(git({"commit", "-q", "-am", "relay"}).exit_code, 0);
  auto second = reconcile::fetch_tracked(state / "mirror.git", repo.string(), "refs/heads/main");
  ASSERT_TRUE(second);
  {
    auto store = reconcile::StateStore::open(state / "state.db");
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->set_desired("demo-a", *second));
    ASSERT_TRUE(store->set_last_good("demo-a", *first, ""));
  }
  auto site = load_site({"demo-a", state, std::nullopt});
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->commit, *first);
  EXPECT_EQ(site->source, "last-good");
  EXPECT_EQ(site->profiles, (std::vector<std::string>{"node"}));
  // With a checkout the operator names, that checkout decides.
  auto checkout = load_site({"demo-a", state, repo});
  ASSERT_TRUE(checkout);
  EXPECT_EQ(checkout->profiles, (std::vector<std::string>{"node", "relay"}));
  EXPECT_EQ(checkout->source, "checkout:" + repo.string());
}

TEST(NotImplemented, NamesTheMissingServiceAndHowItStands) {
  auto site = read_site(kDemo, "demo-a");
  ASSERT_TRUE(site);
  engine::DockerClient docker("/nonexistent.sock");
  engine::ContainerState worker;
  worker.service = "node-worker";
  worker.state = "exited";
  RunContext ctx(*site, docker, {}, {worker});
  for (const auto& spec : select_checks({"node", "sessions"})) {
    if (spec.id == "node.sample-payload-anchored") {
      auto r = not_implemented(spec, ctx);
      EXPECT_EQ(r.outcome, Outcome::kNotImplemented);
      EXPECT_NE(r.evidence.find("node-worker (not running (exited))"), std::string::npos) << r.evidence;
      EXPECT_NE(r.evidence.find("sessions-manifests (not part of this cluster)"), std::string::npos)
          << r.evidence;
      EXPECT_EQ(r.detail["missing"], "service");
    }
    if (spec.id == "node.encode-cpu") {
      auto r = check_encode_cpu(spec, ctx);
      EXPECT_EQ(r.outcome, Outcome::kNotImplemented);
      EXPECT_NE(r.evidence.find("no recorder runs"), std::string::npos);
    }
  }
  EXPECT_EQ(service_state(ctx, "beta"), "not started");
}

TEST(NetProbe, UdpCountsPerTagUntilTheEndMarker) {
  // A free UDP port on loopback.
  std::uint16_t port = 0;
  for (std::uint16_t p = 47200; p < 47300 && port == 0; ++p) {
    auto r = udp_listen(p, 1ms);
    if (r) port = p;
  }
  ASSERT_NE(port, 0);
  Result<nlohmann::json> got = nlohmann::json();
  std::thread listener([&] { got = udp_listen(port, 10s); });
  std::this_thread::sleep_for(200ms);
  const std::string to = "127.0.0.1:" + std::to_string(port);
  auto a = udp_send(to, 4, "labelled", 0ms, false);
  auto b = udp_send(to, 3, "control", 0ms, true);
  listener.join();
  ASSERT_TRUE(a && b && got) << (got ? "" : got.error().message);
  EXPECT_EQ((*a)["sent"], 4);
  EXPECT_EQ((*got)["received"]["labelled"], 4);
  EXPECT_EQ((*got)["received"]["control"], 3);
  EXPECT_EQ((*got)["ended"], true);
}

TEST(NetProbe, TcpConnectTellsRefusedFromConnected) {
  ScratchDir dir;
  auto j = tcp_connect({"127.0.0.1:1", "not-an-endpoint"}, 500ms);
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["results"][0]["connected"], false);
  EXPECT_FALSE(j["results"][0]["error"].get<std::string>().empty());
  EXPECT_EQ(j["results"][1]["connected"], false);
  EXPECT_FALSE(parse_endpoint("1.2.3.4:0"));
  EXPECT_FALSE(parse_endpoint("host:80"));
  EXPECT_TRUE(parse_endpoint("10.0.0.1:8080"));
}

TEST(EngineIo, DemultiplexesStdoutAndStderr) {
  auto frame = [](char stream, const std::string& s) {
    std::string h(8, '\0');
    h[0] = stream;
    h[7] = static_cast<char>(s.size());
    return h + s;
  };
  auto o = engine::demultiplex(frame(1, "hello ") + frame(2, "oops") + frame(1, "world") +
                               std::string("\x01\0\0\0\0\0", 6));
  EXPECT_EQ(o.out, "hello world");
  EXPECT_EQ(o.err, "oops");
}

}  // namespace
}  // namespace lucid::accept
