// Issue 11 end to end on the real engine: three sites on this machine (their own state directories,
// reconcilers and /status ports: `lucidctl reconcile --watch`, as deployed on a site) in two waves,
// driven only through `lucidctl wave` against a bare config repo with SSH-signed commits. Images
// are a local busybox build, so image verification is off here (--insecure-skip-image-verify); the
// image checks have their own suites.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gitsig/ssh_tools.h"
#include "lucid/base/http_client.h"
#include "lucid/engine/compose_apply.h"
#include "lucid/engine/labels.h"
#include "reconcile/signed_config_repo.h"
#include "testing/docker.h"
#include "testing/registry.h"
#include "testing/testing.h"

namespace {

namespace lt = lucid::testing;
namespace tt = lucid::gitsig::testing_tools;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Site {
  std::string id, wave;
  int port = 0;
  int pid = -1;
  std::string status_url() const { return fmt::format("http://127.0.0.1:{}/status", port); }
};

class FleetE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = lt::reconcile_e2e_skip_reason(); !why.empty()) GTEST_SKIP() << why;
    tag_ = fmt::format("lucidfl{}", ::getpid());
    image_ = tag_ + ":test";
    if (std::string why = lt::build_busybox_image(image_, {}, "LABEL com.lucid.test=" + tag_ + "\n");
        !why.empty())
      GTEST_SKIP() << why;
    built_ = true;
    // The console's revert commits need an identity; lucidctl passes GIT_* to git.
    ::setenv("GIT_COMMITTER_NAME", "Lucid fleet test", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "ops@lucid", 1);
    ::setenv("GIT_AUTHOR_NAME", "Lucid fleet test", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "ops@lucid", 1);
    repo_.emplace(dir_.path());
    sites_ = {{tag_ + "c", "canary"}, {tag_ + "e1", "edge"}, {tag_ + "e2", "edge"}};
    for (auto& s : sites_) s.port = lt::free_loopback_port();
  }

  void TearDown() override {
    for (auto& s : sites_) stop(s);
    for (auto& s : sites_) lt::remove_project(lucid::engine::project_name(s.id));
    if (built_) lt::docker({"rmi", "-f", image_});
  }

  std::string compose(const std::string& version, bool healthy) const {
    return fmt::format(
        "services:\n"
        "  web:\n"
        "    image: {}\n"
        "    profiles: [node]\n"
        "    stop_grace_period: 1s\n"
        "{}"
        "    environment:\n"
        "      LUCID_TEST_ENV: \"{}\"\n"
        "    healthcheck:\n"
        "      test: [\"CMD\", \"/bin/busybox\", \"{}\"]\n"
        "      interval: 1s\n"
        "      timeout: 2s\n"
        "      retries: 2\n"
        "{}",
        image_, lt::kHardenedService, version, healthy ? "true" : "false", lt::kPlaneNetworks);
  }

  // A signed commit of the whole config repo on main: two waves, three sites with status URLs.
  std::string push(const std::string& version, bool healthy) {
    std::string clusters = fmt::format(
        "version: 1\nwaves:\n"
        "  - name: canary\n    ref: refs/heads/wave/canary\n    gates: [healthchecks]\n    soak: 3s\n"
        "    stale_after: {}\n"
        "  - name: edge\n    ref: refs/heads/wave/edge\n    gates: [healthchecks]\n    soak: 3s\n"
        "clusters:\n",
        canary_stale_after_);
    std::vector<std::pair<std::string, std::string>> files = {
        {"infrastructure/compose/docker-compose.yml", compose(version, healthy)},
        {"policies/allowed_signers", "ops@lucid " + repo_->key.public_text + "\n"}};
    for (const auto& s : sites_) {
      clusters += fmt::format("  - id: {}\n    wave: {}\n    profiles: [node]\n    status: {}\n", s.id,
                              s.wave, s.status_url());
      files.emplace_back("clusters/" + s.id + "/.env", "CLUSTER_ID=" + s.id + "\nPROFILES=node\n");
    }
    files.emplace_back("clusters/clusters.yaml", clusters);
    return repo_->push(files, "config " + version);
  }

  // The canary's reconciler runs its acceptance checks after each promotion, as a site does by
  // default; the other two skip them (--no-accept) to keep the test short.
  void start(Site& s) {
    const fs::path log = dir_ / (s.id + ".log");
    std::vector<std::string> argv = {(lt::bin_dir() / "lucidctl").string(),
                                     "reconcile",
                                     "--watch",
                                     "--repo",
                                     repo_->url(),
                                     "--cluster",
                                     s.id,
                                     "--state-dir",
                                     (dir_ / s.id).string(),
                                     "--allowed-signers",
                                     repo_->allowed_signers.string(),
                                     "--insecure-skip-image-verify",
                                     "--interval",
                                     "1s",
                                     "--health-timeout",
                                     "40s",
                                     "--listen",
                                     fmt::format("127.0.0.1:{}", s.port)};
    if (s.wave == "canary")
      argv.insert(argv.end(), {"--accept-retry", "600s"});
    else
      argv.push_back("--no-accept");
    s.pid = lt::spawn(argv, log, log);
    ASSERT_GT(s.pid, 0);
  }

  static void stop(Site& s) {
    if (s.pid <= 0) return;
    ::kill(s.pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 100 && ::waitpid(s.pid, &st, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
    if (::waitpid(s.pid, &st, WNOHANG) == 0) {
      ::kill(s.pid, SIGKILL);
      ::waitpid(s.pid, &st, 0);
    }
    s.pid = -1;
  }

  nlohmann::json status(const Site& s) {
    auto r = lucid::http_get(s.status_url());
    if (!r || r->status != 200) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  // Waits until the site's last-good and applied commit is `commit` with every service healthy.
  bool converged(const Site& s, const std::string& commit, std::chrono::seconds limit = 120s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      auto j = status(s);
      if (j.is_object() && j["last_good"] == commit && j["applied"] == commit && !j["services"].empty()) {
        bool healthy = true;
        for (const auto& svc : j["services"]) healthy = healthy && svc["health"] == "healthy";
        if (healthy) return true;
      }
      std::this_thread::sleep_for(500ms);
    }
    ADD_FAILURE() << s.id << " did not converge on " << commit << " within " << limit.count()
                  << " s; last status: " << status(s).dump() << "\nlog: " << log_of(s);
    return false;
  }

  std::string log_of(const Site& s) {
    auto text = lt::run({"tail", "-n", "20", (dir_ / (s.id + ".log")).string()});
    return text.out;
  }

  lt::RunResult wave(std::vector<std::string> args) {
    std::vector<std::string> argv = {(lt::bin_dir() / "lucidctl").string(), "wave"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--repo", repo_->url(), "--console-dir", (dir_ / "console").string()});
    auto r = lt::run(argv);
    std::printf("$ lucidctl wave %s → %d\n%s%s", args.front().c_str(), r.exit_code, r.out.c_str(),
                r.err.c_str());
    return r;
  }

  std::string remote_ref(const std::string& ref) {
    auto r = tt::git_try(repo_->remote, {"rev-parse", "--verify", "--quiet", ref});
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  lt::ScratchDir dir_;
  std::optional<lt::SignedConfigRepo> repo_;
  std::vector<Site> sites_;
  std::string tag_, image_;
  std::string canary_stale_after_ = "60s";
  bool built_ = false;
};

TEST_F(FleetE2e, ACommitRollsThroughTwoWavesAndABadOneStopsAtTheCanaryAndIsRolledBack) {
  // The operator's first commit and the wave refs created for it: every site converges.
  std::string c0 = push("v0", true);
  tt::git(repo_->remote, {"update-ref", "refs/heads/wave/canary", c0});
  tt::git(repo_->remote, {"update-ref", "refs/heads/wave/edge", c0});
  for (auto& s : sites_) start(s);
  for (auto& s : sites_) ASSERT_TRUE(converged(s, c0));
  for (const auto& s : sites_)
    EXPECT_EQ(status(s)["ref"], s.wave == "canary" ? "refs/heads/wave/canary" : "refs/heads/wave/edge");

  // A new commit reaches the canary only; edge waits for the canary's gates to hold for it.
  std::string c1 = push("v1", true);
  auto early = wave({"promote", "edge", "--commit", c1});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_NE(early.out.find("gate healthchecks on " + sites_[0].id + " (canary)"), std::string::npos)
      << early.out;
  ASSERT_EQ(wave({"promote", "canary"}).exit_code, 0);
  EXPECT_EQ(remote_ref("refs/heads/wave/canary"), c1);
  ASSERT_TRUE(converged(sites_[0], c1));
  EXPECT_EQ(status(sites_[1])["last_good"], c0);  // edge untouched
  // No operator ran `lucidctl accept`: the canary ran its checks for c1 by itself after promoting it,
  // and its /status carries them (the onions and wallet-isolation gates read these). They fail here
  // (these sites run no beta), which is what the gates would then report.
  nlohmann::json accepted;
  const auto accept_end = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < accept_end) {
    auto j = status(sites_[0]);
    if (j.is_object() && j.contains("acceptance") && j["acceptance"]["commit"] == c1) {
      accepted = j["acceptance"];
      break;
    }
    std::this_thread::sleep_for(1s);
  }
  ASSERT_TRUE(accepted.is_object()) << "no acceptance results for " << c1 << "; log: " << log_of(sites_[0]);
  EXPECT_EQ(accepted["cluster"], sites_[0].id);
  bool has_onions = false;
  for (const auto& c : accepted["checks"]) has_onions = has_onions || c["id"] == "cluster.beta-onions";
  EXPECT_TRUE(has_onions) << accepted.dump();
  EXPECT_FALSE(status(sites_[1]).contains("acceptance"));  // --no-accept
  auto wave_json = wave({"status", "--json"});
  ASSERT_EQ(wave_json.exit_code, 0) << wave_json.err;
  auto waves = nlohmann::json::parse(wave_json.out, nullptr, false);
  ASSERT_FALSE(waves.is_discarded()) << wave_json.out;
  ASSERT_EQ(waves["waves"].size(), 2u) << wave_json.out;
  EXPECT_EQ(waves["waves"][0]["name"], "canary");
  EXPECT_EQ(waves["waves"][0]["commit"], c1);
  EXPECT_EQ(waves["waves"][0]["clusters"][0]["id"], sites_[0].id);
  EXPECT_EQ(waves["waves"][0]["clusters"][0]["last_good"], c1);
  EXPECT_EQ(waves["waves"][1]["commit"], c0);
  // The same view as `lucidctl status --fleet`, from the console's directory.
  auto fleet = lt::run({(lt::bin_dir() / "lucidctl").string(), "status", "--fleet", "--repo", repo_->url(),
                        "--console-dir", (dir_ / "console").string()});
  ASSERT_EQ(fleet.exit_code, 0) << fleet.err;
  for (const auto& s : sites_) EXPECT_NE(fleet.out.find(s.id), std::string::npos) << fleet.out;
  EXPECT_NE(fleet.out.find(c1.substr(0, 12)), std::string::npos) << fleet.out;
  std::this_thread::sleep_for(3500ms);  // the soak
  auto promoted = wave({"promote", "edge"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.out;
  EXPECT_EQ(remote_ref("refs/heads/wave/edge"), c1);
  ASSERT_TRUE(converged(sites_[1], c1));
  ASSERT_TRUE(converged(sites_[2], c1));

  // A commit that fails health on the canary: rolled back there, and edge refuses it by gate and site.
  std::string c2 = push("v2", false);
  ASSERT_EQ(wave({"promote", "canary"}).exit_code, 0);
  const auto end = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < end) {
    auto j = status(sites_[0]);
    if (j.is_object() && j["bad_commits"].is_array() && !j["bad_commits"].empty()) break;
    std::this_thread::sleep_for(500ms);
  }
  auto j = status(sites_[0]);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["bad_commits"], nlohmann::json::array({c2})) << j.dump();
  EXPECT_EQ(j["last_good"], c1);
  auto refused = wave({"promote", "edge"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find(fmt::format("gate healthchecks on {} (canary): fails: {} is marked bad",
                                         sites_[0].id, c2.substr(0, 12))),
            std::string::npos)
      << refused.out;
  EXPECT_EQ(remote_ref("refs/heads/wave/edge"), c1);
  auto st = wave({"status"});
  EXPECT_NE(st.out.find("fails"), std::string::npos) << st.out;

  // Rollback: a signed commit with c1's content on top of c2; the canary rolls forward to it.
  auto dry = wave({"rollback", "canary", "--dry-run", "--signing-key", repo_->key.private_key.string()});
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_NE(dry.out.find("-      LUCID_TEST_ENV: \"v2\""), std::string::npos) << dry.out;
  EXPECT_EQ(remote_ref("refs/heads/wave/canary"), c2);
  auto rolled = wave({"rollback", "canary", "--signing-key", repo_->key.private_key.string()});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.out;
  const std::string revert = remote_ref("refs/heads/wave/canary");
  EXPECT_EQ(remote_ref(revert + "^"), c2);
  EXPECT_EQ(remote_ref(revert + "^{tree}"), remote_ref(c1 + "^{tree}"));
  ASSERT_TRUE(converged(sites_[0], revert));
  j = status(sites_[0]);
  EXPECT_EQ(j["desired"], revert);
  // Edge is not moved by a canary rollback, and a paused wave is never promoted.
  EXPECT_EQ(wave({"pause", "edge", "--reason", "fleet test"}).exit_code, 0);
  EXPECT_NE(remote_ref("refs/tags/lucid/paused/edge"), "");
  std::this_thread::sleep_for(3500ms);
  auto paused = wave({"promote", "edge"});
  EXPECT_EQ(paused.exit_code, 1);
  EXPECT_NE(paused.out.find("wave edge is paused"), std::string::npos) << paused.out;
  EXPECT_EQ(wave({"resume", "edge"}).exit_code, 0);

  // A stale canary site blocks promotion with that reason.
  stop(sites_[0]);
  canary_stale_after_ = "2s";
  std::string c3 = push("v3", true);  // the console reads stale_after from the default branch
  // Report ages are whole seconds (a report at 10.9 s is 10): wait long enough that "older than 2 s"
  // holds however the clock falls.
  std::this_thread::sleep_for(3500ms);
  auto stale = wave({"promote", "edge", "--commit", revert});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.out.find(fmt::format("gate healthchecks on {} (canary): stale", sites_[0].id)),
            std::string::npos)
      << stale.out;
  EXPECT_EQ(remote_ref("refs/heads/wave/edge"), c1);
}

}  // namespace
