// The reconciler end to end (issue 6) on the real Docker engine and docker-compose, with a local
// bare git repository as the remote and SSH-signed commits: a good commit is promoted, a no-op pass
// touches no container, a never-healthy commit is rolled back and marked bad (and not retried), a
// fixing commit deploys, and an unsigned commit is refused with nothing applied.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gitsig/ssh_tools.h"
#include "lucid/base/http_client.h"
#include "lucid/engine/compose_apply.h"
#include "lucid/engine/containers.h"
#include "lucid/engine/docker_client.h"
#include "lucid/engine/labels.h"
#include "lucid/reconcile/image_check.h"
#include "lucid/reconcile/metrics.h"
#include "lucid/reconcile/reconciler.h"
#include "lucid/reconcile/watch.h"
#include "signed_config_repo.h"
#include "testing/docker.h"
#include "testing/registry.h"

using namespace lucid;
using namespace std::chrono_literals;
namespace lt = lucid::testing;
namespace tt = lucid::gitsig::testing_tools;
namespace fs = std::filesystem;

namespace {

constexpr const char* kHardened = lt::kHardenedService;

class ReconcileE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = lt::reconcile_e2e_skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    static int counter = 0;
    cluster_ = fmt::format("lucidrc{}x{}", ::getpid(), ++counter);  // one project per test
    image_ = cluster_ + ":test";
    why = lt::build_busybox_image(image_, {}, "LABEL com.lucid.test=" + cluster_ + "\n");
    if (!why.empty()) GTEST_SKIP() << why;
    built_ = true;
    project_ = engine::project_name(cluster_);
    ASSERT_TRUE(docker_.negotiate());

    repo_.emplace(dir_.path());
    key_ = repo_->key;
    signers_ = repo_->allowed_signers;
    work_ = repo_->work;
    config_ = lt::test_config(cluster_, *repo_, dir_ / "state");
    auto store = reconcile::StateStore::open(dir_ / "state.db");
    ASSERT_TRUE(store) << store.error().message;
    store_.emplace(std::move(*store));
  }

  void TearDown() override {
    if (project_.empty()) return;
    lt::remove_project(project_);
    if (built_) lt::docker({"rmi", "-f", image_});
  }

  // The compose file of the config repo: `web` with env `version`, healthy or never healthy.
  std::string compose(const std::string& version, bool healthy) const {
    return fmt::format(
        "services:\n"
        "  web:\n"
        "    image: {}\n"
        "    profiles: [node]\n"
        "    stop_grace_period: 1s\n"
        "{}"
        // Where node-worker's service (the image of the mirror tests) writes: a named volume starts
        // with the image's directory, owned by its user.
        "    volumes: [\"state:/var/lib/lucid\"]\n"
        "    environment:\n"
        "      LUCID_TEST_ENV: \"{}\"\n"
        "    healthcheck:\n"
        "      test: [\"CMD\", \"/bin/busybox\", \"{}\"]\n"
        "      interval: {}\n"
        "      timeout: 2s\n"
        "      retries: 2\n"
        "{}"
        "{}"  // the plane networks the lint gate requires (planes/internal), as in deploy/
        "volumes:\n"
        "  state: {{}}\n",
        web_image_.empty() ? image_ : web_image_, kHardened, version, healthy ? "true" : "false",
        health_interval_, extra_services_, lt::kPlaneNetworks);
  }

  // Commits a config repo in the layout of deploy/ and pushes it to the remote's main.
  std::string push(const std::string& version, bool healthy, bool sign) {
    std::map<std::string, std::string> files = extra_files_;
    files["infrastructure/compose/docker-compose.yml"] = compose(version, healthy);
    files["clusters/clusters.yaml"] = "version: 1\nclusters:\n  - id: " + cluster_ + "\n";
    // The cluster's profile selects `web` (profiles are resolved by render, not passed to Compose).
    files["clusters/" + cluster_ + "/.env"] = "CLUSTER_ID=" + cluster_ + "\nPROFILES=node\n" + extra_env_;
    files["policies/allowed_signers"] = "ops@lucid " + key_.public_text + "\n";
    return repo_->push({files.begin(), files.end()}, "config " + version, sign);
  }

  reconcile::PassReport pass(bool trusted = true) {
    reconcile::PlanVerifier verifier(
        gitsig::TrustRoot{trusted ? std::optional<std::string>(signers_.string()) : std::nullopt,
                          std::nullopt},
        image_check_);
    auto t = std::chrono::steady_clock::now();
    auto r = reconcile::reconcile_once(config_, verifier, *store_, docker_);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {};
    std::printf("pass %s → %s (%lld ms)\n", r->commit.substr(0, 12).c_str(),
                std::string(to_string(r->outcome)).c_str(),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - t)
                                           .count()));
    for (const auto& why : r->reasons) std::printf("  %s\n", why.c_str());
    return *r;
  }

  // `lucidctl reconcile` of this cluster with the test's remote, signers and `state_dir`, no image
  // check (the images are local), then `flags`.
  std::vector<std::string> reconcile_cli(const std::string& state_dir, std::vector<std::string> flags) const {
    std::vector<std::string> argv{(lt::bin_dir() / "lucidctl").string(),
                                  "reconcile",
                                  "--repo",
                                  config_.repo_url,
                                  "--cluster",
                                  cluster_,
                                  "--state-dir",
                                  state_dir,
                                  "--allowed-signers",
                                  signers_.string(),
                                  "--health-timeout",
                                  "30s",
                                  "--insecure-skip-image-verify"};
    // The test's repo has no waves: follow main unless the test names a branch.
    if (std::find(flags.begin(), flags.end(), "--branch") == flags.end())
      argv.insert(argv.end(), {"--branch", "main"});
    argv.insert(argv.end(), flags.begin(), flags.end());
    return argv;
  }

  // A pass after `pushed` was pushed (the commit it should see).
  reconcile::PassReport pass_after(const std::string& pushed) {
    auto r = pass();
    EXPECT_EQ(r.commit, pushed);
    return r;
  }

  std::vector<engine::ContainerState> state() const {
    auto s = engine::list_project(docker_, project_);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : std::vector<engine::ContainerState>{};
  }

  // service → (id, started_at)
  std::map<std::string, std::pair<std::string, std::string>> identities() const {
    std::map<std::string, std::pair<std::string, std::string>> out;
    for (const auto& c : state()) out[c.service] = {c.id, c.started_at};
    return out;
  }

  lt::ScratchDir dir_;
  std::optional<lt::SignedConfigRepo> repo_;
  engine::DockerClient docker_;
  std::string cluster_, image_, project_;
  bool built_ = false;
  tt::TestKey key_;
  fs::path signers_, work_;
  reconcile::ReconcileConfig config_;
  std::optional<reconcile::StateStore> store_;
  std::string health_interval_ = "1s";
  std::string extra_services_;                      // appended under services: (item 3)
  std::string extra_env_;                           // appended to the cluster's .env
  std::string web_image_;                           // the image of `web` (default image_)
  std::map<std::string, std::string> extra_files_;  // more files of the config repo
  reconcile::ImageCheck image_check_;

  void kill_and_converge(const std::function<bool(pid_t)>& when, const char* phase);

  // `lucidctl build` of an image running node-worker's service (busybox beside it for the test's
  // healthcheck), signed with <dir>/<key>.key, pushed to `registry`, its local copy removed so that
  // Compose must pull it; its canonical pinned reference, or "" (the failure is reported).
  std::string build_signed_image(const lt::LocalRegistry& registry, const std::string& name, const char* key);
  // `lucidctl keys gen` into <dir>/<name>.key and .pub.
  void make_image_key(const char* name);
  // Images are verified against `registry` and pulled from it: the commits carry deploy/'s matrix
  // and waivers and <dir>/image-signer.pub as their signer key, which the operator also gives for
  // the first deploy (--image-signers; later the last-good commit's keys count).
  void verify_images_against(const lt::LocalRegistry& registry);
  std::string read_text(const fs::path& p) const {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

void ReconcileE2e::verify_images_against(const lt::LocalRegistry& registry) {
  const fs::path policies = fs::path(LUCID_SOURCE_DIR) / "deploy/policies";
  extra_files_ = {{"policies/signers/build.pub", read_text(dir_ / "image-signer.pub")},
                  {"policies/inclusion-matrix.yaml", read_text(policies / "inclusion-matrix.yaml")},
                  {"policies/waivers.yaml", read_text(policies / "waivers.yaml")}};
  fs::create_directories(dir_ / "operator-signers");
  fs::copy_file(dir_ / "image-signer.pub", dir_ / "operator-signers/build.pub");
  config_.image_signers = dir_ / "operator-signers";
  image_check_ = reconcile::registry_image_check(registry.url());
  config_.registry_mirror = registry.host();
}

void ReconcileE2e::make_image_key(const char* name) {
  auto k = lt::run({(lt::bin_dir() / "lucidctl").string(), "keys", "gen", "--out", (dir_ / name).string()});
  ASSERT_EQ(k.exit_code, 0) << k.err;
}

std::string ReconcileE2e::build_signed_image(const lt::LocalRegistry& registry, const std::string& name,
                                             const char* key) {
  const fs::path list = dir_ / (name + ".yaml");
  std::ofstream(list) << "version: 1\nimages:\n  - name: " << name
                      << "\n    stage: 0\n    binaries: [lucid-node-worker]\n    programs: [/bin/busybox]\n"
                         "    user: \"10001:10001\"\n    state_dirs: [/var/lib/lucid]\n"
                         "    entrypoint: [/usr/local/bin/lucid-node-worker, run]\n"
                         "    healthcheck: [/bin/busybox, \"true\"]\n"
                         "    pin: false\n";
  const std::string prefix = "lucidrc-" + std::to_string(::getpid());
  auto r = lt::run({(lt::bin_dir() / "lucidctl").string(), "build", "--stage", "0", "--push", registry.host(),
                    "--key", (dir_ / (std::string(key) + ".key")).string(), "--images", list.string(),
                    "--local-prefix", prefix, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return {};
  auto j = nlohmann::json::parse(r.out);
  lt::docker({"rmi", "-f", j["images"][0]["local_tag"].get<std::string>()});  // so Compose must pull
  return fmt::format("registry.lucid.local:5000/lucid/{}:{}@{}", name, j["version"].get<std::string>(),
                     j["images"][0]["digest"].get<std::string>());
}

// Issue 6 items 1 and 6.
TEST_F(ReconcileE2e, PromotesRollsBackMarksBadAndANoOpTouchesNothing) {
  std::string good = push("1", true, true);
  auto r = pass();
  ASSERT_EQ(to_string(r.outcome), "promoted");
  EXPECT_EQ(r.commit, good);
  auto rec = store_->cluster(cluster_);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->last_good, good);
  EXPECT_EQ(rec->applied, good);
  auto good_hashes = rec->applied_hashes;
  auto running = state();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].health, "healthy");
  EXPECT_EQ(running[0].config_hash, good_hashes.at("web"));
  // The one-request view the no-op check uses tells the same as list + inspect.
  auto summary = engine::list_project_summary(docker_, project_);
  ASSERT_TRUE(summary);
  ASSERT_EQ(summary->size(), 1u);
  EXPECT_EQ((*summary)[0].id, running[0].id);
  EXPECT_EQ((*summary)[0].state, running[0].state);
  EXPECT_EQ((*summary)[0].health, running[0].health);
  EXPECT_EQ((*summary)[0].config_hash, running[0].config_hash);

  // Item 6: a pass with nothing to change leaves every container id and start time as it was.
  auto before = identities();
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "unchanged");
  EXPECT_EQ(identities(), before);

  // A first figure for item 8 (one service, not the 20-service benchmark): median of 5 no-op passes
  // against median of 3 no-op `docker-compose up -d` of the same plan; neither touches a container.
  {
    render::LeaveReferences leave;
    auto plan = render::render_cluster(work_, cluster_, leave);
    ASSERT_TRUE(plan) << plan.error().message;
    auto median_ms = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    std::vector<double> passes, composes;
    for (int i = 0; i < 5; ++i) {
      auto t = std::chrono::steady_clock::now();
      EXPECT_EQ(to_string(pass().outcome), "unchanged");
      passes.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    }
    for (int i = 0; i < 3; ++i) {
      auto t = std::chrono::steady_clock::now();
      EXPECT_TRUE(engine::apply(plan->apply_yaml, project_));
      composes.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    }
    std::printf("no-op: reconcile pass median %.1f ms, docker-compose up -d median %.1f ms (ratio %.1fx)\n",
                median_ms(passes), median_ms(composes), median_ms(composes) / median_ms(passes));
    EXPECT_EQ(identities(), before);
  }

  // Item 1: a newer commit whose service never becomes healthy is rolled back and marked bad.
  std::string bad = push("2", false, true);
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "rolled-back");
  EXPECT_EQ(r.commit, bad);
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("web"), std::string::npos) << r.reasons[0];
  rec = store_->cluster(cluster_);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->last_good, good);
  EXPECT_EQ(rec->applied, good);
  EXPECT_EQ(rec->desired, bad);
  EXPECT_TRUE(*store_->is_bad(cluster_, bad));
  running = state();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].config_hash, good_hashes.at("web"));
  EXPECT_EQ(running[0].health, "healthy");

  // Not retried: the next pass keeps the last-good containers as they are.
  before = identities();
  auto attempts_before = store_->attempts(cluster_, 100)->size();
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "skipped-bad");
  EXPECT_EQ(identities(), before);
  EXPECT_EQ(store_->attempts(cluster_, 100)->size(), attempts_before);

  // `--retry` names it: tried once more (still never healthy, so rolled back and marked again).
  config_.retry = bad;
  r = pass();
  config_.retry.reset();
  EXPECT_EQ(to_string(r.outcome), "rolled-back");
  EXPECT_TRUE(*store_->is_bad(cluster_, bad));
  EXPECT_EQ(store_->cluster(cluster_)->last_good, good);

  // A fixing commit deploys.
  std::string fix = push("3", true, true);
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "promoted");
  rec = store_->cluster(cluster_);
  EXPECT_EQ(rec->last_good, fix);
  running = state();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].health, "healthy");
  EXPECT_NE(running[0].config_hash, good_hashes.at("web"));

  auto attempts = store_->attempts(cluster_, 100);
  ASSERT_TRUE(attempts);
  std::vector<std::string> outcomes;
  for (const auto& a : *attempts)
    outcomes.push_back(fmt::format("{}:{}", to_string(a.kind), a.outcome ? to_string(*a.outcome) : ""));
  EXPECT_EQ(outcomes, (std::vector<std::string>{"deploy:promoted", "deploy:rolled-back", "deploy:rolled-back",
                                                "deploy:promoted"}));
}

// Issue 6 item 2 (the commit-signature half): an unsigned commit, and a signed one without trusted
// signers configured, are refused with their reasons and nothing is applied.
TEST_F(ReconcileE2e, UnsignedCommitIsRefusedAndNothingApplied) {
  std::string unsigned_commit = push("1", true, false);
  auto r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("unsigned"), std::string::npos) << r.reasons[0];
  EXPECT_TRUE(state().empty());
  auto rec = store_->cluster(cluster_);
  EXPECT_EQ(rec->desired, unsigned_commit);
  EXPECT_EQ(rec->applied, "");
  EXPECT_EQ(rec->last_good, "");
  auto attempts = store_->attempts(cluster_);
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ(to_string((*attempts)[0].outcome.value()), "refused");
  EXPECT_FALSE((*attempts)[0].reasons.empty());

  push("2", true, true);
  r = pass(/*trusted=*/false);
  EXPECT_EQ(to_string(r.outcome), "refused");
  EXPECT_TRUE(state().empty());
}

}  // namespace

namespace {

// `lucidctl reconcile --once` then `lucidctl status --json`: the commands over the same module.
TEST_F(ReconcileE2e, LucidctlReconcileAndStatus) {
  std::string good = push("1", true, true);
  std::string lucidctl = (lt::bin_dir() / "lucidctl").string();
  std::string state_dir = (dir_ / "cli-state").string();
  auto r = lt::run(reconcile_cli(state_dir, {"--once"}));
  std::printf("%s%s", r.out.c_str(), r.err.c_str());
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("promoted"), std::string::npos);
  auto s = lt::run({lucidctl, "status", "--cluster", cluster_, "--state-dir", state_dir, "--json"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto j = nlohmann::json::parse(s.out);
  EXPECT_EQ(j["desired"], good);
  EXPECT_EQ(j["applied"], good);
  EXPECT_EQ(j["last_good"], good);
  ASSERT_EQ(j["services"].size(), 1u);
  EXPECT_EQ(j["services"][0]["service"], "web");
  EXPECT_EQ(j["services"][0]["health"], "healthy");
  EXPECT_EQ(j["services"][0]["config_current"], true);
  ASSERT_EQ(j["attempts"].size(), 1u);
  EXPECT_EQ(j["attempts"][0]["outcome"], "promoted");
  auto text = lt::run({lucidctl, "status", "--cluster", cluster_, "--state-dir", state_dir});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("last-good " + good), std::string::npos) << text.out;
}

}  // namespace

namespace {

// Issue 6 item 4 (docker stop, docker rm -f, an env change by hand): the watch loop sees the drift on /events
// and reconciles the applied commit again within seconds; the test measures each correction.
TEST_F(ReconcileE2e, WatchCorrectsStopRemoveAndHandChange) {
  push("1", true, true);
  std::mutex mu;
  std::vector<reconcile::WatchEvent> events;
  std::atomic<bool> stop{false};
  reconcile::WatchOptions wo;
  wo.interval = 120s;  // only drift triggers a pass within the test
  reconcile::PlanVerifier verifier(gitsig::TrustRoot{signers_.string(), std::nullopt});
  std::thread loop([&] {
    reconcile::watch(
        config_, verifier, *store_, docker_, wo,
        [&](const reconcile::WatchEvent& ev) {
          std::lock_guard lock(mu);
          events.push_back(ev);
        },
        [&] { return stop.load(); });
  });
  auto count = [&] {
    std::lock_guard lock(mu);
    return events.size();
  };
  auto healthy_web = [&] {
    auto s = state();
    return s.size() == 1 && s[0].running() && s[0].health == "healthy" &&
           s[0].config_hash == store_->cluster(cluster_)->applied_hashes["web"];
  };
  bool promoted = lt::wait_until([&] { return count() >= 1; }, 60s);
  EXPECT_TRUE(promoted);
  if (promoted) {
    std::lock_guard lock(mu);
    ASSERT_TRUE(events[0].pass);
    EXPECT_EQ(to_string(events[0].pass->outcome), "promoted");
  }
  for (const std::string how : {"stop", "rm", "env"}) {
    if (!promoted) break;
    std::size_t before = count();
    auto s = state();
    ASSERT_EQ(s.size(), 1u);
    auto t = std::chrono::steady_clock::now();
    if (how == "stop")
      lt::docker({"stop", "-t", "1", s[0].id});
    else if (how == "rm")
      lt::docker({"rm", "-f", s[0].id});
    else  // an env change made by hand with Compose: recreated without Lucid's config hash
      ASSERT_TRUE(engine::apply(
          fmt::format("services:\n  web:\n    image: {}\n    stop_grace_period: 1s\n    environment:\n      "
                      "LUCID_TEST_ENV: hand\n",
                      image_),
          project_));
    bool fixed = lt::wait_until([&] { return count() > before && healthy_web(); }, 60s, 100ms);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
    std::printf("docker %s corrected (healthy again) in %lld ms\n", how.c_str(), static_cast<long long>(ms));
    EXPECT_TRUE(fixed) << "docker " << how << " not corrected within 60 s";
    std::lock_guard lock(mu);
    if (fixed) {
      EXPECT_FALSE(events.back().drift.empty());
      ASSERT_TRUE(events.back().pass);
      EXPECT_EQ(to_string(events.back().pass->outcome), "corrected");
    }
  }
  stop = true;
  loop.join();
}

}  // namespace

namespace {

// Issue 6 item 3: a service added to the repo is created, one removed is removed from the site.
TEST_F(ReconcileE2e, AddedServiceIsCreatedAndRemovedOneIsRemoved) {
  extra_services_ = fmt::format(
      "  worker:\n"
      "    image: {}\n"
      "    stop_grace_period: 1s\n"
      "{}",
      image_, kHardened);
  push("1", true, true);
  ASSERT_EQ(to_string(pass().outcome), "promoted");
  auto s = state();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].service, "web");
  EXPECT_EQ(s[1].service, "worker");
  extra_services_.clear();
  push("2", true, true);
  ASSERT_EQ(to_string(pass().outcome), "promoted");
  s = state();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].service, "web");
}

// Issue 6 item 2 (the image half, through the PlanVerifier hook that `verify --cluster` fills) and
// issue 12 item 2's gates: with images verified, the first deploy needs the operator's image signers;
// a plan whose image check refuses, an image outside the canonical registry and a lint-gate violation
// are refused and marked bad; an empty plan is refused without a bad mark (--allow-empty lifts it). Nothing
// is applied by any of them.
TEST_F(ReconcileE2e, ImageCheckAndDeployGatesRefuseAndApplyNothing) {
  image_check_ = [](const fs::path&, const std::string&,
                    const render::Plan& plan) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    for (const auto& [name, svc] : plan.document["services"].items())
      out.push_back(name + ": image " + svc["image"].get<std::string>() +
                    " has no valid signature (test hook)");
    return out;
  };
  // Never pulled: every commit below is refused before apply.
  web_image_ = "registry.lucid.local:5000/lucid/web:1@sha256:" + std::string(64, 'a');
  std::string c = push("1", true, true);
  auto r = pass();
  EXPECT_EQ(to_string(r.outcome), "failed");
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_NE(r.reasons[0].find("--image-signers"), std::string::npos) << r.reasons[0];
  EXPECT_FALSE(*store_->is_bad(cluster_, c)) << "the operator's missing flag is not the commit's fault";

  fs::create_directories(dir_ / "operator-signers");
  config_.image_signers = dir_ / "operator-signers";
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_NE(r.reasons[0].find("no valid signature"), std::string::npos);
  EXPECT_TRUE(state().empty());
  EXPECT_TRUE(*store_->is_bad(cluster_, c));
  EXPECT_EQ(store_->cluster(cluster_)->applied, "");

  web_image_ = "docker.io/library/busybox@sha256:" + std::string(64, 'b');
  std::string foreign = push("2", true, true);
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("not under the canonical registry"), std::string::npos) << r.reasons[0];
  EXPECT_TRUE(*store_->is_bad(cluster_, foreign));

  web_image_ = "registry.lucid.local:5000/lucid/web:1@sha256:" + std::string(64, 'a');
  extra_services_ =
      fmt::format("  tool:\n    image: {}\n{}    cap_add: [NET_ADMIN]\n", web_image_, kHardened);
  std::string privileged = push("3", true, true);
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("privileged/cap-add"), std::string::npos) << r.reasons[0];
  EXPECT_NE(r.reasons[0].find("infrastructure/compose/docker-compose.yml:"), std::string::npos)
      << r.reasons[0];
  EXPECT_TRUE(*store_->is_bad(cluster_, privileged));
  extra_services_.clear();

  // A cluster whose profile selects nothing: an empty plan, refused without a bad mark.
  std::string empty =
      repo_->push({{"infrastructure/compose/docker-compose.yml", compose("4", true)},
                   {"clusters/" + cluster_ + "/.env", "CLUSTER_ID=" + cluster_ + "\nPROFILES=relay\n"}},
                  "empty");
  const auto attempts_before = store_->attempts(cluster_, 100)->size();
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("empty plan"), std::string::npos) << r.reasons[0];
  EXPECT_FALSE(*store_->is_bad(cluster_, empty));
  EXPECT_TRUE(state().empty());
  EXPECT_EQ(store_->attempts(cluster_, 100)->size(), attempts_before + 1);
}

// Whether a child of `pid` is a Compose process (read from /proc).
bool compose_child_running(pid_t pid) {
  std::ifstream children(fmt::format("/proc/{}/task/{}/children", pid, pid));
  for (long long c; children >> c;) {
    std::ifstream cmd(fmt::format("/proc/{}/cmdline", c));
    std::string line((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (line.find("compose") != std::string::npos) return true;
  }
  return false;
}

// Issue 6 item 5: `lucidctl reconcile` killed with SIGKILL at the moment `when` first holds of its
// pid; the next start converges and promotes.
void ReconcileE2e::kill_and_converge(const std::function<bool(pid_t)>& when, const char* phase) {
  health_interval_ = "4s";  // health stays "starting" for ~4 s after the apply
  std::string c = push("1", true, true);
  std::string lucidctl = (lt::bin_dir() / "lucidctl").string();
  std::string state_dir = (dir_ / "kill-state").string();
  std::vector<std::string> argv = reconcile_cli(state_dir, {"--once"});
  pid_t child = lt::spawn(argv, {});
  ASSERT_GT(child, 0);
  bool created = lt::wait_until([&] { return when(child); }, 60s, 10ms);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(created) << phase << " not reached within 60 s";
  EXPECT_TRUE(WIFSIGNALED(status)) << "lucidctl finished before it was killed";
  auto s = state();
  std::printf("killed %s: %zu container(s)%s%s\n", phase, s.size(), s.empty() ? "" : ", state ",
              s.empty() ? "" : (s[0].state + ", health \"" + s[0].health + "\"").c_str());

  auto r = lt::run(reconcile_cli(state_dir, {"--once"}));
  std::printf("%s%s", r.out.c_str(), r.err.c_str());
  EXPECT_EQ(r.exit_code, 0);
  auto st = lt::run({lucidctl, "status", "--cluster", cluster_, "--state-dir", state_dir, "--json"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  auto j = nlohmann::json::parse(st.out);
  EXPECT_EQ(j["last_good"], c);
  EXPECT_EQ(j["applied"], c);
  ASSERT_EQ(j["attempts"].size(), 2u);
  EXPECT_EQ(j["attempts"][0]["outcome"], "promoted");
  EXPECT_EQ(j["attempts"][1]["outcome"], "");  // the killed one never finished
  EXPECT_EQ(j["services"][0]["health"], "healthy");
}

TEST_F(ReconcileE2e, SigkillDuringApplyConvergesOnNextStart) {
  // While Compose (a child of lucidctl) is running.
  kill_and_converge([](pid_t pid) { return compose_child_running(pid); }, "during apply");
}

TEST_F(ReconcileE2e, SigkillDuringHealthWaitConvergesOnNextStart) {
  kill_and_converge(
      [this](pid_t pid) {
        auto s = state();
        return !compose_child_running(pid) && !s.empty() && s[0].running() && s[0].health == "starting";
      },
      "during the health wait");
}

}  // namespace

namespace {

// Secrets fail closed: a plan referencing enc:sops values with no age identity configured is
// refused, never applied with the reference text in place of the value.
TEST_F(ReconcileE2e, SecretReferencesWithoutAnIdentityAreRefused) {
  extra_env_ = "DB_PASSWORD=enc:sops:" + cluster_ + ".enc.yaml#db.password\n";
  extra_services_ = fmt::format(
      "  db:\n"
      "    image: {}\n"
      "{}"
      "    environment:\n"
      "      PASSWORD: ${{DB_PASSWORD}}\n",
      image_, kHardened);
  push("1", true, true);
  auto r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("no age identity"), std::string::npos) << r.reasons[0];
  EXPECT_TRUE(state().empty());
}

}  // namespace

namespace {

// Issue 6 item 2 (the image half) with the real chain: `lucidctl build` builds the images (FROM
// scratch, SBOM, cosign-compatible signature) into a local docker-registry; the reconciler checks
// every image of a commit against that commit's policies/ and the mirror, then Compose pulls it from
// the mirror by digest. An image signed by a key the policy does not trust is refused with nothing
// touched; a mirror that cannot be reached fails the pass without marking the commit bad.
TEST_F(ReconcileE2e, MirrorImagesAreVerifiedPulledByDigestAndABadSignatureIsRefused) {
  auto registry = std::make_unique<lt::LocalRegistry>();
  if (auto why = registry->start(); !why.empty()) GTEST_SKIP() << why;
  for (const char* who : {"image-signer", "image-rogue"}) make_image_key(who);
  // One image signed by the policy's key, one by a key it does not know.
  const std::string trusted = build_signed_image(*registry, cluster_ + "-web", "image-signer");
  const std::string untrusted = build_signed_image(*registry, cluster_ + "-rogue", "image-rogue");
  ASSERT_FALSE(trusted.empty());
  ASSERT_FALSE(untrusted.empty());
  verify_images_against(*registry);

  web_image_ = trusted;
  std::string good = push("1", true, true);
  auto r = pass();
  ASSERT_EQ(to_string(r.outcome), "promoted");
  auto s = state();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].health, "healthy");
  auto inspect = lt::docker({"inspect", "-f", "{{.Config.Image}}", s[0].id});
  EXPECT_EQ(inspect.out, registry->host() + trusted.substr(trusted.find('/')) + "\n")
      << "pulled from the mirror by the pinned digest";

  web_image_ = untrusted;
  std::string rogue = push("2", true, true);
  auto before = identities();
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("signature"), std::string::npos) << r.reasons[0];
  EXPECT_EQ(identities(), before) << "a refused commit touches no container";
  EXPECT_TRUE(*store_->is_bad(cluster_, rogue));
  EXPECT_EQ(store_->cluster(cluster_)->applied, good);

  // The mirror goes away: no verdict, so the pass fails and the commit is not marked bad.
  web_image_ = trusted;
  extra_env_ = "LUCID_TEST=3\n";
  std::string later = push("3", true, true);
  registry.reset();
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "failed");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("unreachable"), std::string::npos) << r.reasons[0];
  EXPECT_FALSE(*store_->is_bad(cluster_, later));
  EXPECT_EQ(identities(), before);
}

}  // namespace

namespace {

// `lucidctl reconcile --watch --listen`: /status and /metrics over HTTP while the loop runs, and the
// restart budget: with a budget of one correction, the first `docker stop` is corrected, the second
// is left in place and reported (status, metrics, the attempt's reasons) instead of restarting again.
TEST_F(ReconcileE2e, WatchServesStatusAndMetricsAndHonoursTheRestartBudget) {
  push("1", true, true);
  const fs::path out = dir_ / "watch.out";
  std::vector<std::string> argv = reconcile_cli(
      (dir_ / "watch-state").string(), {"--watch", "--interval", "120s", "--listen", "127.0.0.1:0",
                                        "--restart-budget", "1", "--budget-window", "10m", "--no-accept"});
  pid_t child = lt::spawn(argv, out);
  ASSERT_GT(child, 0);
  auto output = [&] {
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  auto lines_with = [&](const std::string& what) {
    std::size_t n = 0;
    std::string o = output();
    for (std::size_t p = o.find(what); p != std::string::npos; p = o.find(what, p + 1)) ++n;
    return n;
  };
  struct Reap {
    pid_t pid;
    ~Reap() {
      if (pid <= 0) return;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{child};

  ASSERT_TRUE(lt::wait_until([&] { return lines_with(" promoted") == 1; }, 60s)) << output();
  std::string o = output();
  auto at = o.find("listening on 127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << o;
  const std::string base = "http://127.0.0.1:" + std::to_string(std::stoi(o.substr(at + 23)));
  auto status = http_get(base + "/status");
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->status, 200);
  auto j = nlohmann::json::parse(status->body);
  EXPECT_EQ(j["last_good"], j["desired"]);
  ASSERT_EQ(j["services"].size(), 1u);
  EXPECT_EQ(j["services"][0]["health"], "healthy");

  // First stop: corrected (the one correction the budget allows).
  lt::docker({"stop", "-t", "1", state()[0].id});
  ASSERT_TRUE(lt::wait_until([&] { return lines_with(" corrected") >= 1; }, 60s)) << output();
  ASSERT_TRUE(lt::wait_until(
      [&] {
        auto s = state();
        return s.size() == 1 && s[0].running() && s[0].health == "healthy";
      },
      30s));
  // Second stop: held, the container stays down, and the reason says why.
  lt::docker({"stop", "-t", "1", state()[0].id});
  ASSERT_TRUE(lt::wait_until([&] { return lines_with(" held") >= 1; }, 60s)) << output();
  std::this_thread::sleep_for(2s);
  auto s = state();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].running()) << "a correction beyond the budget was made";

  auto metrics = http_get(base + "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("lucid_drift_corrections_total{cluster=\"" + cluster_ + "\"} 1\n"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("lucid_restart_budget_spent{cluster=\"" + cluster_ + "\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("outcome=\"promoted\"} 1\n"), std::string::npos);
  status = http_get(base + "/status");
  ASSERT_TRUE(status);
  j = nlohmann::json::parse(status->body);
  ASSERT_GE(j["drift_corrections"].size(), 2u);
  EXPECT_EQ(j["drift_corrections"][0]["outcome"], "held");
  bool says_budget = false;
  for (const auto& why : j["drift_corrections"][0]["reasons"])
    says_budget = says_budget || why.get<std::string>().find("restart budget spent") != std::string::npos;
  EXPECT_TRUE(says_budget) << j["drift_corrections"][0].dump();
  EXPECT_EQ(j["drift_corrections"][1]["outcome"], "corrected");
  EXPECT_NE(j["drift_corrections"][1]["reasons"][0].get<std::string>().find("web: "), std::string::npos);

  ::kill(child, SIGTERM);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  reap.pid = -1;
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "SIGTERM: exit " << wstatus;
}

}  // namespace

namespace {

// Issue 12 item 1 (shown 1): the remote's ref forced back to an older signed commit is refused as
// not-descendant with the service untouched, recorded once, not marked bad; --allow-rewind applies it
// and the attempt records who allowed it. The mirror keeps the rollback targets as refs. A commit
// older than --max-commit-age is refused as stale, and status shows the newest commit's age.
TEST_F(ReconcileE2e, RewoundRemoteIsRefusedUnlessAllowedAndStaleCommitsAreRefused) {
  std::string first = push("1", true, true);
  ASSERT_EQ(to_string(pass().outcome), "promoted");
  std::string second = push("2", true, true);
  ASSERT_EQ(to_string(pass().outcome), "promoted");
  const fs::path mirror = config_.state_dir / "mirror.git";
  EXPECT_EQ(tt::git(mirror, {"rev-parse", "refs/lucid/last-good/" + cluster_}), second + "\n");
  EXPECT_EQ(tt::git(mirror, {"rev-parse", "refs/lucid/applied/" + cluster_}), second + "\n");

  tt::git(work_, {"push", "-q", "--force", repo_->remote.string(), first + ":refs/heads/main"});
  auto before = identities();
  auto r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  EXPECT_EQ(r.commit, first);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_TRUE(r.reasons[0].starts_with("not-descendant: ")) << r.reasons[0];
  EXPECT_NE(r.reasons[0].find("--allow-rewind " + first), std::string::npos) << r.reasons[0];
  EXPECT_EQ(identities(), before) << "a refused rewind touches no container";
  EXPECT_FALSE(*store_->is_bad(cluster_, first));
  EXPECT_EQ(store_->cluster(cluster_)->last_good, second);
  const auto recorded = store_->attempts(cluster_, 100)->size();
  EXPECT_EQ(to_string(pass().outcome), "refused");
  EXPECT_EQ(store_->attempts(cluster_, 100)->size(), recorded) << "a lasting refusal is recorded once";

  config_.allow_rewind = first;
  r = pass();
  config_.allow_rewind.reset();
  EXPECT_EQ(to_string(r.outcome), "promoted");
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_NE(r.reasons[0].find("allowed by --allow-rewind (operator "), std::string::npos) << r.reasons[0];
  auto status = reconcile::status_json(*store_, docker_, cluster_, 10, mirror);
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["last_good"], first);
  EXPECT_EQ((*status)["attempts"][0]["reasons"][0], r.reasons[0]) << "status shows who allowed the rewind";
  EXPECT_EQ(tt::git(mirror, {"rev-parse", "refs/lucid/last-good/" + cluster_}), first + "\n");

  // Freshness: a new commit two seconds old against a one-second limit.
  std::string third = push("3", true, true);
  std::this_thread::sleep_for(2100ms);
  config_.max_commit_age = 1s;
  before = identities();
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_TRUE(r.reasons[0].starts_with("stale: ")) << r.reasons[0];
  EXPECT_EQ(identities(), before);
  EXPECT_FALSE(*store_->is_bad(cluster_, third));
  status = reconcile::status_json(*store_, docker_, cluster_, 10, mirror);
  ASSERT_TRUE(status);
  EXPECT_GE((*status)["desired_age_seconds"].get<std::int64_t>(), 2);
  config_.max_commit_age.reset();
  EXPECT_EQ(to_string(pass().outcome), "promoted");
}

// Issue 12 item 2 (shown 2): a commit signed by an allowed key that adds its own image signer key
// and an image signed by it is refused (its images are checked with the last-good commit's keys). A
// commit that only adds the key is promoted; from the next commit on, images signed by it deploy.
TEST_F(ReconcileE2e, ACommitCannotVouchForItsOwnImages) {
  auto registry = std::make_unique<lt::LocalRegistry>();
  if (auto why = registry->start(); !why.empty()) GTEST_SKIP() << why;
  for (const char* who : {"image-signer", "image-new"}) make_image_key(who);
  const std::string old_signed = build_signed_image(*registry, cluster_ + "-old", "image-signer");
  const std::string new_signed = build_signed_image(*registry, cluster_ + "-new", "image-new");
  ASSERT_FALSE(old_signed.empty());
  ASSERT_FALSE(new_signed.empty());
  verify_images_against(*registry);

  web_image_ = old_signed;
  ASSERT_EQ(to_string(pass_after(push("1", true, true)).outcome), "promoted");

  extra_files_["policies/signers/new.pub"] = read_text(dir_ / "image-new.pub");
  web_image_ = new_signed;
  std::string self_vouching = push("2", true, true);
  auto before = identities();
  auto r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("signature"), std::string::npos) << r.reasons[0];
  EXPECT_TRUE(*store_->is_bad(cluster_, self_vouching));
  EXPECT_EQ(identities(), before);

  web_image_ = old_signed;  // the key alone, images as before
  extra_env_ = "LUCID_TEST=3\n";
  EXPECT_EQ(to_string(pass_after(push("3", true, true)).outcome), "promoted");
  web_image_ = new_signed;  // now its key is the last-good commit's
  r = pass_after(push("4", true, true));
  EXPECT_EQ(to_string(r.outcome), "promoted");
  auto s = state();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_NE(s[0].image.find(cluster_ + "-new"), std::string::npos) << s[0].image;
}

// Issue 12 item 4 (shown 5): two reconcilers of two clusters share one state directory and run at
// once, each deploying its own branch; a second reconciler for a cluster already reconciled refuses
// to start (exit 2), naming the holder.
TEST_F(ReconcileE2e, TwoClustersShareAStateDirAndOneClusterHasOneReconciler) {
  const std::string other = cluster_ + "b";
  struct Down {
    std::string project;
    ~Down() { lt::remove_project(project); }
  } down_other{engine::project_name(other)};
  // One config repo, two branches: each names both clusters, and gives `web` its branch's env.
  auto branch_commit = [&](const std::string& branch, const std::string& version) {
    std::vector<std::pair<std::string, std::string>> files{
        {"infrastructure/compose/docker-compose.yml", compose(version, true)},
        {"clusters/clusters.yaml",
         "version: 1\nclusters:\n  - id: " + cluster_ + "\n  - id: " + other + "\n"},
        {"clusters/" + cluster_ + "/.env", "CLUSTER_ID=" + cluster_ + "\nPROFILES=node\n"},
        {"clusters/" + other + "/.env", "CLUSTER_ID=" + other + "\nPROFILES=node\n"},
        {"policies/allowed_signers", "ops@lucid " + key_.public_text + "\n"}};
    repo_->push(files, "config " + version, true, branch);
  };
  branch_commit("wave-a", "from-a");
  branch_commit("wave-b", "from-b");
  const std::string state_dir = (dir_ / "shared-state").string();
  auto cli = [&](const std::string& cluster, const std::string& branch, const fs::path& out) {
    auto argv = reconcile_cli(state_dir, {"--once", "--branch", branch});
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == "--cluster") argv[i + 1] = cluster;
    return lt::spawn(argv, out);
  };
  pid_t a = cli(cluster_, "wave-a", dir_ / "a.out");
  pid_t b = cli(other, "wave-b", dir_ / "b.out");
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  int sa = 0, sb = 0;
  ASSERT_EQ(::waitpid(a, &sa, 0), a);
  ASSERT_EQ(::waitpid(b, &sb, 0), b);
  EXPECT_TRUE(WIFEXITED(sa) && WEXITSTATUS(sa) == 0) << read_text(dir_ / "a.out");
  EXPECT_TRUE(WIFEXITED(sb) && WEXITSTATUS(sb) == 0) << read_text(dir_ / "b.out");
  auto env_of = [&](const std::string& cluster) {
    auto list = engine::list_project(docker_, engine::project_name(cluster));
    if (!list || list->size() != 1) return std::string("(no single container)");
    return lt::docker({"inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}", (*list)[0].id}).out;
  };
  EXPECT_NE(env_of(cluster_).find("LUCID_TEST_ENV=from-a"), std::string::npos);
  EXPECT_NE(env_of(other).find("LUCID_TEST_ENV=from-b"), std::string::npos);

  // A reconciler holds cluster_; another one for it refuses at once and names the holder.
  pid_t holder =
      lt::spawn(reconcile_cli(state_dir, {"--watch", "--branch", "wave-a", "--listen", "", "--no-accept"}),
                dir_ / "holder.out");
  ASSERT_GT(holder, 0);
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{holder};
  ASSERT_TRUE(lt::wait_until(
      [&] { return read_text(dir_ / "holder.out").find("unchanged") != std::string::npos; }, 60s))
      << read_text(dir_ / "holder.out");
  auto second = lt::run(reconcile_cli(state_dir, {"--once", "--branch", "wave-a"}));
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_NE(second.err.find("already reconciled by process " + std::to_string(holder)), std::string::npos)
      << second.err;
}

// Issue 12 item 3: while the remote cannot be fetched, drift of the last-good commit is still
// corrected from the local mirror, and a pass with nothing to correct says `unreachable`.
TEST_F(ReconcileE2e, DriftIsCorrectedFromTheLocalMirrorWhileTheRemoteIsUnreachable) {
  push("1", true, true);
  ASSERT_EQ(to_string(pass().outcome), "promoted");
  fs::rename(repo_->remote, dir_ / "remote-gone.git");
  auto r = pass();
  EXPECT_EQ(to_string(r.outcome), "unreachable");
  EXPECT_FALSE(r.fetch_error.empty());
  lt::docker({"stop", "-t", "1", state()[0].id});
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "corrected");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_TRUE(r.reasons[0].starts_with("fetch: ")) << r.reasons[0];
  auto s = state();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].running());
  EXPECT_EQ(s[0].health, "healthy");
}

}  // namespace
