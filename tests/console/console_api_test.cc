// The console's HTTP API against the real service on loopback: a real config repo (git, SSH-signed
// commits) and simulated sites (loopback servers of status JSON; see console_fixture.h). Checks the
// fleet JSON, the page and its assets, the token on actions, promotion (the wave's ref moves in the
// remote), refusals (409), pause/resume, a signed rollback, the cluster and commit views, and that
// an event reaches a subscriber when a simulated site's health changes.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "console_fixture.h"
#include "lucid/base/http_client.h"
#include "lucid/console/server.h"
#include "testing/testing.h"

using namespace lucid;
using namespace std::chrono_literals;
namespace tt = lucid::gitsig::testing_tools;
using Json = nlohmann::json;

namespace {

constexpr const char* kToken = "test-operator-token-0123456789";

struct Console {
  lucid::testing::ScratchDir dir;
  std::vector<std::unique_ptr<lucid::testing::SimulatedSite>> sites;
  std::unique_ptr<lucid::testing::FleetRepo> repo;
  std::unique_ptr<console::ConsoleService> service;

  explicit Console(bool with_token) {
    // Who the console's rollback commits name (git's identity), whatever the machine's config says.
    ::setenv("GIT_AUTHOR_NAME", "Console Test", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "console@example.test", 1);
    ::setenv("GIT_COMMITTER_NAME", "Console Test", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "console@example.test", 1);
    for (const char* id : {"site-a", "site-b", "site-c"})
      sites.push_back(std::make_unique<lucid::testing::SimulatedSite>(id));
    repo = std::make_unique<lucid::testing::FleetRepo>(
        dir.path(),
        std::vector<lucid::testing::FleetRepo::Cluster>{{"site-a", "canary", sites[0]->status_url()},
                                                        {"site-b", "core", sites[1]->status_url()},
                                                        {"site-c", "core", sites[2]->status_url()}});
    console::ConsoleOptions o;
    o.repo_url = repo->url();
    o.dir = dir / "console";
    o.listen = "127.0.0.1:0";
    o.token = with_token ? kToken : "";
    o.poll.interval = 200ms;
    o.poll.timeout = 2s;
    o.tick = 100ms;
    o.fetch_interval = 500ms;
    o.signing.ssh_key = repo->key.private_key.string();
    auto s = console::ConsoleService::start(o);
    if (!s)
      ADD_FAILURE() << s.error().message;
    else
      service = std::move(*s);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(service->port()) + path;
  }
  HttpResponse get(const std::string& path, std::map<std::string, std::string> headers = {}) const {
    HttpOptions o;
    o.headers = std::move(headers);
    auto r = http_get(url(path), o);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : HttpResponse{};
  }
  HttpResponse post(const std::string& path, const std::string& body, const std::string& token) const {
    HttpOptions o;
    o.timeout = 30s;
    if (!token.empty()) o.headers["Authorization"] = "Bearer " + token;
    auto r = http_post(url(path), body, "application/json", o);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : HttpResponse{};
  }
  Json fleet() const { return Json::parse(get("/api/v1/fleet").body); }
  // Waits (bounded) until `pred` holds for the fleet JSON.
  bool wait_fleet(const std::function<bool(const Json&)>& pred, std::chrono::seconds limit = 15s) const {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
      if (pred(fleet())) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
};

const Json* cluster_in(const Json& fleet, const std::string& id) {
  for (const auto& w : fleet["waves"])
    for (const auto& c : w["clusters"])
      if (c["id"] == id) return &c;
  return nullptr;
}

std::string skip_reason() {
  if (std::string why = tt::missing_tools(); !why.empty()) return why + " (run scripts/bootstrap)";
  return {};
}

TEST(ConsoleApi, FleetPageAndAssetsReadOnlyWithoutToken) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  Console c(false);
  ASSERT_TRUE(c.service);
  c.sites[0]->run(c.repo->second, 2);
  ASSERT_TRUE(c.wait_fleet([](const Json& f) {
    const Json* a = cluster_in(f, "site-a");
    return a != nullptr && a->value("services_healthy", 0) == 2;
  })) << c.fleet().dump(2);
  Json f = c.fleet();
  ASSERT_EQ(f["waves"].size(), 2u);
  EXPECT_EQ(f["waves"][0]["name"], "canary");
  EXPECT_EQ(f["waves"][0]["commit"], c.repo->second);
  EXPECT_EQ(f["waves"][1]["commit"], c.repo->first);
  EXPECT_EQ(f["waves"][1]["clusters"].size(), 2u);
  EXPECT_EQ(f["console"]["actions_enabled"], false);
  // A site that never answered: stale, never counted healthy.
  EXPECT_EQ((*cluster_in(f, "site-b"))["stale"], true);
  EXPECT_FALSE(cluster_in(f, "site-b")->contains("services_healthy"));

  auto page = c.get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/assets/app.js"), std::string::npos);
  EXPECT_NE(page.header("content-security-policy").find("default-src 'none'"), std::string::npos);
  auto js = c.get("/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.body.find("EventSource"), std::string::npos);
  ASSERT_FALSE(js.header("etag").empty());
  EXPECT_EQ(c.get("/assets/app.js", {{"If-None-Match", js.header("etag")}}).status, 304);
  EXPECT_EQ(c.get("/assets/nope.js").status, 404);
  EXPECT_EQ(c.get("/api/v1/nope").status, 404);
  // DNS rebinding: another name pointing at the loopback listener is not answered.
  EXPECT_EQ(c.get("/api/v1/fleet", {{"Host", "evil.example:8480"}}).status, 403);
  EXPECT_EQ(c.get("/api/v1/fleet", {{"Host", "localhost:8480"}}).status, 200);

  // Without a configured token every action is refused, with or without a header.
  EXPECT_EQ(c.post("/api/v1/waves/core/promote", "{}", "").status, 403);
  EXPECT_EQ(c.post("/api/v1/waves/core/promote", "{}", kToken).status, 403);
  EXPECT_EQ(c.repo->remote_ref("refs/heads/wave/core"), c.repo->first);
}

TEST(ConsoleApi, ActionsNeedTheTokenAndRunTheRolloutFunctions) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  Console c(true);
  ASSERT_TRUE(c.service);
  // The canary site runs commit 2, unhealthy: promotion of core is refused naming gate and site.
  c.sites[0]->run(c.repo->second, 1);
  c.sites[1]->run(c.repo->first, 2);
  c.sites[2]->run(c.repo->first, 2);
  ASSERT_TRUE(c.wait_fleet([](const Json& f) {
    const Json* a = cluster_in(f, "site-a");
    return a != nullptr && a->contains("services_total") &&
           !f["waves"][1]["clusters"][0]["stale"].get<bool>();
  }));
  EXPECT_EQ(c.post("/api/v1/waves/core/promote", "{}", "").status, 401);
  EXPECT_EQ(c.post("/api/v1/waves/core/promote", "{}", "wrong-token-0123456789").status, 401);
  EXPECT_EQ(c.post("/api/v1/waves/core/promote", "{\"commit\": 5}", kToken).status, 400);
  EXPECT_EQ(c.post("/api/v1/waves/core/promote", "not json", kToken).status, 400);
  EXPECT_EQ(c.post("/api/v1/waves/nowhere/promote", "{}", kToken).status, 400);
  auto refused = c.post("/api/v1/waves/core/promote", "{}", kToken);
  EXPECT_EQ(refused.status, 409) << refused.body;
  Json rj = Json::parse(refused.body);
  ASSERT_FALSE(rj["refusals"].empty());
  // (The automatic pause of core may already be among the refusals: the gate's own must be there.)
  EXPECT_NE(rj["refusals"].dump().find("gate healthchecks on site-a (canary): fails"), std::string::npos)
      << refused.body;
  EXPECT_EQ(c.repo->remote_ref("refs/heads/wave/core"), c.repo->first);
  // The failing gate after canary's promotion paused core (a signed tag in the repo), once.
  ASSERT_TRUE(c.wait_fleet([](const Json& f) { return !f["waves"][1]["paused"].is_null(); }));
  EXPECT_NE(c.fleet()["waves"][1]["paused"]["message"].get<std::string>().find(
                "gate healthchecks failed on site-a"),
            std::string::npos);
  EXPECT_FALSE(c.repo->remote_ref("refs/tags/lucid/paused/core").empty());

  // Healthy since two minutes (soak 1s): the canary gates pass; still paused until resumed.
  c.sites[0]->run(c.repo->second, 2);
  ASSERT_TRUE(c.wait_fleet([](const Json& f) { return f["waves"][0]["gates_pass"] == true; }))
      << c.fleet().dump(2);
  auto still = c.post("/api/v1/waves/core/promote", R"({"dry_run": true})", kToken);
  EXPECT_EQ(still.status, 409);
  EXPECT_NE(still.body.find("is paused"), std::string::npos) << still.body;
  EXPECT_EQ(c.post("/api/v1/waves/core/pause", "{}", kToken).status, 409);  // already paused
  EXPECT_EQ(c.post("/api/v1/waves/core/resume", "{}", kToken).status, 200);
  EXPECT_TRUE(c.repo->remote_ref("refs/tags/lucid/paused/core").empty());
  EXPECT_TRUE(c.fleet()["waves"][1]["paused"].is_null());  // and not paused again for the same commit
  // A dry run says what would happen and changes nothing.
  auto dry = c.post("/api/v1/waves/core/promote", R"({"dry_run": true})", kToken);
  EXPECT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(Json::parse(dry.body)["done"], false);
  EXPECT_EQ(c.repo->remote_ref("refs/heads/wave/core"), c.repo->first);
  auto wave = Json::parse(c.get("/api/v1/waves/core").body);
  EXPECT_EQ(wave["previous"], "canary");
  EXPECT_EQ(wave["promotion"]["to"], c.repo->second);
  EXPECT_TRUE(wave["promotion"]["refusals"].empty()) << wave["promotion"].dump();

  // Pause refuses promotion; resume allows it again.
  auto paused =
      c.post("/api/v1/waves/core/pause", R"({"reason": "change freeze", "actor": "alice"})", kToken);
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_FALSE(c.fleet()["waves"][1]["paused"].is_null());
  auto while_paused = c.post("/api/v1/waves/core/promote", "{}", kToken);
  EXPECT_EQ(while_paused.status, 409);
  EXPECT_NE(while_paused.body.find("paused"), std::string::npos);
  EXPECT_EQ(c.post("/api/v1/waves/core/resume", "{}", kToken).status, 200);

  auto promoted = c.post("/api/v1/waves/core/promote", "{}", kToken);
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  Json pj = Json::parse(promoted.body);
  EXPECT_EQ(pj["done"], true);
  EXPECT_EQ(pj["to"], c.repo->second);
  EXPECT_EQ(c.repo->remote_ref("refs/heads/wave/core"), c.repo->second);
  EXPECT_EQ(c.fleet()["waves"][1]["commit"], c.repo->second);  // the view is current with the answer

  // Rollback of canary: a signed commit with commit 1's content on top of commit 2.
  auto rolled = c.post("/api/v1/waves/canary/rollback", "{}", kToken);
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  const std::string made = Json::parse(rolled.body)["to"];
  EXPECT_EQ(c.repo->remote_ref("refs/heads/wave/canary"), made);
  EXPECT_NE(tt::git(c.repo->remote, {"cat-file", "commit", made}).find("gpgsig"), std::string::npos);
  EXPECT_EQ(tt::git(c.repo->remote, {"rev-parse", made + "^{tree}"}),
            tt::git(c.repo->remote, {"rev-parse", c.repo->first + "^{tree}"}));
}

TEST(ConsoleApi, ClusterAndCommitViews) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  Console c(false);
  ASSERT_TRUE(c.service);
  Json status = {
      {"cluster", "site-b"},
      {"desired", c.repo->second},
      {"applied", c.repo->first},
      {"last_good", c.repo->first},
      {"bad_commits", Json::array({c.repo->second})},
      {"services",
       {{{"service", "web"},
         {"container", "abc"},
         {"state", "running"},
         {"health", "healthy"},
         {"config_current", true}}}},
      {"attempts",
       {{{"commit", c.repo->second},
         {"kind", "deploy"},
         {"started", "2026-01-01T00:00:00Z"},
         {"finished", "2026-01-01T00:01:00Z"},
         {"outcome", "rolled-back"},
         {"reasons", {"web: unhealthy"}}}}},
      {"drift_corrections", Json::array()},
      {"acceptance",
       {{"commit", c.repo->first},
        {"finished", "2026-01-01T00:02:00Z"},
        {"checks", {{{"id", "seal-sample"}, {"result", "pass"}, {"evidence", "sealed and verified"}}}}}}};
  c.sites[1]->set(status);
  ASSERT_TRUE(c.wait_fleet([](const Json& f) {
    const Json* b = cluster_in(f, "site-b");
    return b != nullptr && b->contains("services_total");
  }));
  auto cl = c.get("/api/v1/clusters/site-b");
  ASSERT_EQ(cl.status, 200) << cl.body;
  Json cj = Json::parse(cl.body);
  EXPECT_EQ(cj["wave"], "core");
  ASSERT_EQ(cj["bad_commits"].size(), 1u) << cl.body;
  EXPECT_EQ(cj["bad_commits"][0]["commit"], c.repo->second);
  EXPECT_EQ(cj["bad_commits"][0]["reasons"][0], "web: unhealthy");
  EXPECT_EQ(cj["services"][0]["service"], "web");
  EXPECT_EQ(cj["acceptance"]["checks"][0]["result"], "pass");
  EXPECT_GE(cj["history"]["reports"].get<int>(), 1);
  EXPECT_EQ(c.get("/api/v1/clusters/nobody").status, 404);
  EXPECT_EQ(c.get("/api/v1/clusters/..%2f").status, 400);

  auto cm = c.get("/api/v1/commits/" + c.repo->second + "?wave=core");
  ASSERT_EQ(cm.status, 200) << cm.body;
  Json mj = Json::parse(cm.body);
  EXPECT_EQ(mj["subject"], "web 2");
  EXPECT_EQ(mj["parents"][0], c.repo->first);
  EXPECT_EQ(mj["signature"]["verified"], true) << mj["signature"].dump();
  EXPECT_EQ(mj["signature"]["principals"], "ops@lucid");
  EXPECT_EQ(mj["diff_against"], c.repo->first);  // what core runs
  EXPECT_NE(mj["diff_stat"].get<std::string>().find("compose/app.yaml"), std::string::npos);
  EXPECT_NE(mj["diff"].get<std::string>().find("+    image: web:2"), std::string::npos);
  ASSERT_EQ(mj["waves"].size(), 1u);
  EXPECT_EQ(mj["waves"][0]["wave"], "canary");
  EXPECT_EQ(c.get("/api/v1/commits/" + std::string(40, 'e')).status, 404);
  EXPECT_EQ(c.get("/api/v1/commits/--all").status, 400);

  // The commit as one site would take it, against that site's last-good commit from its reports (the
  // preview itself, plan diff and image verdicts, is commit_preview_test's).
  auto onsite = c.get("/api/v1/commits/" + c.repo->second + "/clusters/site-b");
  ASSERT_EQ(onsite.status, 200) << onsite.body;
  Json oj = Json::parse(onsite.body);
  EXPECT_EQ(oj["cluster"], "site-b");
  EXPECT_EQ(oj["commit"], c.repo->second);
  EXPECT_EQ(oj["last_good"], c.repo->first) << onsite.body;
  EXPECT_TRUE(oj.contains("plan_diff") || oj.contains("render_error")) << onsite.body;
  EXPECT_EQ(c.get("/api/v1/commits/" + c.repo->second + "/clusters/nobody").status, 404);
  EXPECT_EQ(c.get("/api/v1/commits/" + std::string(40, 'e') + "/clusters/site-b").status, 404);
}

TEST(ConsoleApi, EventsDeliverAHealthChange) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  Console c(false);
  ASSERT_TRUE(c.service);
  c.sites[2]->run(c.repo->first, 2);
  ASSERT_TRUE(
      c.wait_fleet([](const Json& f) { return cluster_in(f, "site-c")->value("services_healthy", 0) == 2; }));
  std::mutex mu;
  std::condition_variable cv;
  std::string buffer;
  std::vector<Json> events;
  std::atomic<bool> done{false};
  std::thread client([&] {
    (void)http_stream(
        "GET", c.url("/api/v1/events"),
        [&](std::string_view data) {
          std::lock_guard lock(mu);
          buffer.append(data);
          for (std::size_t end; (end = buffer.find("\n\n")) != std::string::npos; buffer.erase(0, end + 2)) {
            std::string ev = buffer.substr(0, end);
            if (auto d = ev.find("event: fleet\ndata: "); d != std::string::npos)
              events.push_back(Json::parse(ev.substr(d + 19)));
          }
          cv.notify_all();
          return !done.load();
        },
        [&] { return done.load(); });
  });
  auto healthy_of = [](const Json& f) { return cluster_in(f, "site-c")->value("services_healthy", -1); };
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return !events.empty(); })) << "no first event";
    EXPECT_EQ(healthy_of(events.front()), 2);  // the current fleet first
  }
  c.sites[2]->run(c.repo->first, 0);  // both services turn unhealthy on the simulated site
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return healthy_of(events.back()) == 0; }))
        << "no event with the change after " << events.size() << " event(s)";
  }
  done = true;
  c.service->stop();  // ends the stream at once
  client.join();
}

}  // namespace

namespace {

TEST(ConsoleToken, TokenFileMustBePrivateAndLongEnough) {
  lucid::testing::ScratchDir dir;
  const auto file = dir / "token";
  auto write = [&](const std::string& text, std::filesystem::perms mode) {
    std::ofstream(file) << text;
    std::filesystem::permissions(file, mode);
  };
  using P = std::filesystem::perms;
  write("0123456789abcdef0123\n", P::owner_read | P::owner_write | P::group_read);
  auto shared = console::read_token_file(file);
  ASSERT_FALSE(shared);
  EXPECT_NE(shared.error().message.find("chmod 600"), std::string::npos) << shared.error().message;
  write("short\n", P::owner_read | P::owner_write);
  EXPECT_FALSE(console::read_token_file(file));
  write("  0123456789abcdef0123  \nsecond line\n", P::owner_read | P::owner_write);
  auto ok = console::read_token_file(file);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, "0123456789abcdef0123");
  EXPECT_FALSE(console::read_token_file(dir / "absent"));
}

}  // namespace
