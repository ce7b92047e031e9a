// beta as deployed (issue 13 items 1 and 7): its image, built by `lucidctl build --stage 0`, started
// by the reconciler (`lucidctl reconcile --once`) from a signed config repo with deploy/'s privileged
// policy, beside the demo's node-worker (its image from `lucidctl build --stage 3`) and a labelled
// busybox service, on the real engine with real tor (DisableNetwork 1).
// What an operator relies on is measured from outside, as `lucidctl accept` measures it on a site:
//  - the UDP ban is in place in the labelled containers (cluster.no-udp: 0 datagrams from a labelled
//    sender, all from an unlabelled one), beta publishes its plane (cluster.beta-onions);
//  - after `docker restart` of each service container, each is healthy again and the ban is back;
//  - a beta that cannot apply the ban (its helper image holds no nft) withdraws the services, its
//    health is red naming the containers, and the reconciler rolls the commit back.
// Images are local (`--insecure-skip-image-verify`); image verification has its own suites.
#include <grp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/beta/udp_ban.h"
#include "lucid/engine/labels.h"
#include "lucid/version.h"
#include "reconcile/signed_config_repo.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace {

namespace lt = lucid::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

std::string lucidctl() {
  return (lt::bin_dir() / "lucidctl").string();
}

// The images, built once for the binary and removed after it.
struct Images {
  static inline std::string skip, beta, node_worker, busybox, prefix;
};

class BetaDeployedEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::string why = lt::reconcile_e2e_skip_reason(); !why.empty()) {
      Images::skip = why;
      return;
    }
    if (::getgrnam("docker") == nullptr) {
      Images::skip = "no docker group on this host: beta (uid 10000) reads the engine socket through it";
      return;
    }
    Images::prefix = fmt::format("lucid-betadep{}", ::getpid());
    auto built = lt::run({lucidctl(), "build", "--stage", "0", "--images",
                          std::string(LUCID_SOURCE_DIR) + "/docker/images.yaml", "--bin-dir",
                          lt::bin_dir().string(), "--local-prefix", Images::prefix, "--json"});
    if (built.exit_code != 0) {
      Images::skip = "lucidctl build --stage 0 failed (run scripts/bootstrap): " + built.err;
      return;
    }
    Images::beta = fmt::format("{}/beta:{}", Images::prefix, lucid::kLucidVersion);
    // node-worker's image under its default local name, shared with the accept suite (kept).
    Images::node_worker = fmt::format("lucid/node-worker:{}", lucid::kLucidVersion);
    if (lt::docker({"image", "inspect", Images::node_worker}).exit_code != 0) {
      auto worker = lt::run({lucidctl(), "build", "--stage", "3", "--images",
                             std::string(LUCID_SOURCE_DIR) + "/docker/images.yaml", "--bin-dir",
                             lt::bin_dir().string()});
      if (worker.exit_code != 0) {
        Images::skip = "lucidctl build --stage 3 failed (run scripts/bootstrap): " + worker.err;
        return;
      }
    }
    Images::busybox = Images::prefix + "/busybox:1";
    if (std::string why = lt::build_busybox_image(Images::busybox); !why.empty()) Images::skip = why;
  }
  void TearDown() override {
    if (Images::prefix.empty()) return;
    // A beta stopped in the middle of a ban may leave its helper (labelled, not in the project).
    // Only helpers: `ancestor` matches by image id, which other suites' busybox images share.
    for (const auto& image : {Images::beta, Images::busybox}) {
      if (image.empty()) continue;
      auto left = lt::docker({"ps", "-aq", "--filter", "ancestor=" + image, "--filter",
                              std::string("label=") + lucid::beta::kUdpBanHelperLabel});
      std::string id;
      for (std::istringstream in(left.out); std::getline(in, id);)
        if (!id.empty()) lt::docker({"rm", "-f", id});
    }
    // By name, not id: the busybox image has the same content (so the same id) as other suites'
    // busybox images, and removing by id fails while one of their containers runs.
    auto list = lt::docker(
        {"images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=" + Images::prefix + "/*"});
    std::vector<std::string> rmi{"rmi"};
    std::string name;
    for (std::istringstream in(list.out); std::getline(in, name);)
      if (!name.empty()) rmi.push_back(name);
    if (rmi.size() > 1) lt::docker(rmi);
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new BetaDeployedEnvironment);

class BetaDeployed : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Images::skip.empty()) GTEST_SKIP() << Images::skip;
    cluster_ = fmt::format("betadep{}", ::getpid());
    project_ = lucid::engine::project_name(cluster_);
    repo_.emplace(dir_.path());
  }
  void TearDown() override {
    if (!cluster_.empty()) lt::remove_project(project_);
  }

  // The compose file: beta and node-worker as the demo runs them (examples/demo: no NET_ADMIN,
  // tmpfs owned by the service's user, beta scoped to the project, one plane) with shorter health
  // periods, and `echo`, a busybox service labelled for the ops plane that writes to its tmpfs /tmp
  // (so its health shows whether /tmp is writable after a restart).
  std::string compose(const std::string& extra_beta_args = {}) const {
    return fmt::format(R"(networks:
  ops:
    internal: true
    labels:
      com.lucid.plane: ops
  chain:
    internal: true
    labels:
      com.lucid.plane: chain
  wallet:
    internal: true
    labels:
      com.lucid.plane: wallet
services:
  beta:
    image: {beta}
    profiles: [node]
    command: ["--disable-network", "--scope-label", "com.docker.compose.project={project}"{extra}]
    user: "10000:10000"
    group_add: ["${{DOCKER_GID:-999}}"]
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    stop_grace_period: 3s
    tmpfs:
      - "/tmp:rw,noexec,nosuid,nodev,size=16m,uid=10000,gid=10000"
    labels:
      com.lucid.plane: ops
      com.lucid.service: beta
      com.lucid.expose: "9105"
    networks: [ops]
    expose: ["9050", "7000", "9105"]
    environment:
      BETA_CLUSTER_ID: "${{CLUSTER_ID}}"
      BETA_PLANES: ops
    volumes:
      - beta-state:/var/lib/beta
      - type: bind
        source: /var/run/docker.sock
        target: /var/run/docker.sock
        read_only: true
    healthcheck:
      test: ["CMD", "/usr/local/bin/betactl", "health"]
      interval: 1s
      timeout: 5s
      retries: 5
      start_period: 5s
  node-worker:
    image: {node_worker}
    profiles: [node]
    user: "10001:10001"
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    stop_grace_period: 3s
    tmpfs:
      - "/tmp:rw,noexec,nosuid,nodev,size=64m,uid=10001,gid=10001"
    labels:
      com.lucid.plane: ops
      com.lucid.service: node-worker
      com.lucid.expose: "8080"
    networks: [ops]
    expose: ["8080"]
    environment:
      CLUSTER_ID: "${{CLUSTER_ID}}"
      TOR_SOCKS: "beta:9050"
    volumes:
      - node-worker-spool:/var/lib/lucid
    healthcheck:
      test: ["CMD", "/usr/local/bin/lucid-node-worker", "health"]
      interval: 1s
      timeout: 5s
      retries: 3
      start_period: 20s
  echo:
    image: {busybox}
    profiles: [node]
    command: ["sh", "-c", "echo up > /tmp/alive && exec sleep 3600"]
    stop_grace_period: 1s
{hardened}    tmpfs:
      - "/tmp:rw,noexec,nosuid,nodev,size=1m,uid=10001,gid=10001"
    labels:
      com.lucid.plane: ops
      com.lucid.service: echo
      com.lucid.expose: "8080"
    networks: [ops]
    healthcheck:
      test: ["CMD", "/bin/busybox", "test", "-s", "/tmp/alive"]
      interval: 1s
      timeout: 2s
      retries: 3
volumes:
  beta-state: {{}}
  node-worker-spool: {{}}
)",
                       fmt::arg("beta", Images::beta), fmt::arg("node_worker", Images::node_worker),
                       fmt::arg("busybox", Images::busybox), fmt::arg("project", project_),
                       fmt::arg("extra", extra_beta_args), fmt::arg("hardened", lt::kHardenedService));
  }

  std::string push(const std::string& compose_text, const std::string& message) {
    const auto* docker_group = ::getgrnam("docker");
    return repo_->push(
        {{"infrastructure/compose/docker-compose.yml", compose_text},
         {"clusters/clusters.yaml",
          fmt::format("version: 1\nwaves:\n  - name: canary\n    ref: refs/heads/main\n"
                      "clusters:\n  - id: {}\n    wave: canary\n    profiles: [node]\n",
                      cluster_)},
         // Later commits are judged by the last-good commit's privileged policy: deploy/'s.
         {"policies/privileged.yaml",
          lucid::read_text_file(fs::path(LUCID_SOURCE_DIR) / "deploy/policies/privileged.yaml").value()},
         {"clusters/" + cluster_ + "/.env",
          fmt::format("CLUSTER_ID={}\nPROFILES=node\nBETA_PLANES=ops\nDOCKER_GID={}\n", cluster_,
                      docker_group ? docker_group->gr_gid : 999)}},
        message);
  }

  // One `lucidctl reconcile --once --json` pass, waiting at most `health_timeout` for health; its
  // JSON report (null when it printed none).
  json reconcile(const std::string& health_timeout = "90s") {
    auto r = lt::run({lucidctl(), "reconcile", "--once", "--json", "--repo", repo_->url(), "--cluster",
                      cluster_, "--branch", "main", "--state-dir", (dir_ / "state").string(),
                      "--allowed-signers", repo_->allowed_signers.string(), "--privileged-policy",
                      std::string(LUCID_SOURCE_DIR) + "/deploy/policies/privileged.yaml", "--health-timeout",
                      health_timeout, "--insecure-skip-image-verify"});
    std::printf("reconcile exit %d: %s%s\n", r.exit_code, r.out.c_str(), r.err.c_str());
    auto j = json::parse(r.out, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
  }

  // `lucidctl accept` on the site; the results JSON (null when none was printed).
  json accept() {
    auto r = lt::run({lucidctl(), "accept", "--cluster", cluster_, "--state-dir", (dir_ / "state").string(),
                      "--json", "--no-write", "--datagrams", "10", "--seal-timeout", "5"});
    auto j = json::parse(r.out, nullptr, false);
    if (j.is_discarded()) {
      std::printf("accept exit %d printed no JSON: %s%s\n", r.exit_code, r.out.c_str(), r.err.c_str());
      return nullptr;
    }
    return j;
  }

  static std::string check_status(const json& report, const std::string& id) {
    if (!report.is_object()) return "no report";
    for (const auto& c : report["checks"])
      if (c["id"] == id) return c.value("result", "?") + ": " + c.value("evidence", "");
    return "missing";
  }

  std::string container(const std::string& service) const {
    auto r = lt::docker({"ps", "-q", "--filter",
                         std::string("label=") + lucid::engine::kProjectLabel + "=" + project_, "--filter",
                         "label=" + std::string(lucid::engine::kServiceLabel) + "=" + service});
    std::string id = r.out.substr(0, r.out.find('\n'));
    return id;
  }

  bool healthy(const std::string& service) const {
    std::string id = container(service);
    if (id.empty()) return false;
    return lt::docker({"inspect", "-f", "{{.State.Health.Status}}", id}).out.starts_with("healthy");
  }

  lt::RunResult betactl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"exec", container("beta"), "/usr/local/bin/betactl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return lt::docker(argv);
  }

  lt::ScratchDir dir_;
  std::optional<lt::SignedConfigRepo> repo_;
  std::string cluster_, project_;
};

TEST_F(BetaDeployed, BansUdpInItsImageSurvivesRestartsAndWithdrawsWhatItCannotBan) {
  const auto t0 = std::chrono::steady_clock::now();
  auto phase = [&](const char* what) {
    std::printf("[%5.1f s] %s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), what);
  };
  const std::string good = push(compose(), "beta and echo");
  auto pass = reconcile();
  ASSERT_EQ(pass.value("outcome", ""), "promoted") << pass.dump();
  ASSERT_EQ(pass.value("commit", ""), good);

  // Deployed: beta published echo's port and banned UDP where it must.
  EXPECT_TRUE(lt::wait_until(
      [&] {
        return betactl({"resolve", "echo@ops"}).exit_code == 0;
      },
      20s))
      << betactl({"resolve", "echo@ops"}).out << lt::docker({"logs", container("beta")}).err;
  phase("reconciled, echo resolvable");
  auto report = accept();
  phase("accepted");
  EXPECT_TRUE(check_status(report, "cluster.no-udp").starts_with("pass"))
      << check_status(report, "cluster.no-udp");
  EXPECT_TRUE(check_status(report, "cluster.beta-onions").starts_with("pass"))
      << check_status(report, "cluster.beta-onions");

  // The ops plane reaches beta's metrics listener (the port its onion publishes), and only metrics.
  const std::string beta_ip =
      lt::docker(
          {"inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container("beta")})
          .out;
  auto wget = [&](const std::string& path) {
    return lt::docker({"exec", container("echo"), "/bin/busybox", "wget", "-q", "-O-",
                       fmt::format("http://{}:9105{}", beta_ip.substr(0, beta_ip.find('\n')), path)});
  };
  auto scraped = wget("/metrics");
  EXPECT_EQ(scraped.exit_code, 0) << scraped.err;
  EXPECT_NE(scraped.out.find("beta_udp_unbanned_containers 0"), std::string::npos) << scraped.out;
  EXPECT_NE(wget("/v1/health").exit_code, 0) << "the admin API is not on the plane network";
  EXPECT_NE(wget("/v1/resolve/echo@ops").exit_code, 0) << "operator resolution is not on the plane network";

  // Restart safety: each service container comes back healthy, and the ban comes back with it.
  for (const std::string service : {"echo", "node-worker", "beta"}) {
    ASSERT_EQ(lt::docker({"restart", "-t", "3", container(service)}).exit_code, 0) << service;
    EXPECT_TRUE(lt::wait_until([&] { return healthy(service); }, 60s, 500ms))
        << service << " is not healthy after docker restart: "
        << lt::docker({"inspect", "-f", "{{json .State.Health}}", container(service)}).out;
    phase(("restarted, healthy: " + service).c_str());
  }
  EXPECT_TRUE(lt::wait_until([&] { return betactl({"resolve", "echo@ops"}).exit_code == 0; }, 20s));
  report = accept();
  phase("accepted after the restarts");
  EXPECT_TRUE(check_status(report, "cluster.no-udp").starts_with("pass"))
      << "after the restarts: " << check_status(report, "cluster.no-udp");

  // A beta that cannot ban: its helper image (busybox) holds no nft. While the reconciler waits on
  // its health, beta must withdraw echo and name the unbanned containers; the reconciler must then
  // roll back to the good commit.
  std::atomic<bool> done{false};
  std::string seen_health, seen_onions;
  std::thread watcher([&] {
    while (!done && seen_health.empty()) {
      auto h = betactl({"health", "--json"});
      if (h.out.find("UDP ban not in place") != std::string::npos &&
          h.out.find(project_ + "_echo") != std::string::npos) {
        seen_onions = betactl({"onions"}).out;
        seen_health = h.out;
      }
      std::this_thread::sleep_for(300ms);
    }
  });
  const std::string bad = push(compose(fmt::format(R"(, "--udp-ban-image", "{}")", Images::busybox)),
                               "beta with a helper image that cannot ban");
  // An unhealthy service may still recover, so the reconciler gives up on it only at the health
  // timeout: a short one here.
  pass = reconcile("25s");
  std::printf("beta's health when the pass ended: %s\n",
              lt::docker({"inspect", "-f", "{{json .State.Health}}", container("beta")}).out.c_str());
  phase("bad beta rolled back");
  done = true;
  watcher.join();
  EXPECT_EQ(pass.value("outcome", ""), "rolled-back") << pass.dump();
  // The reconciler's report carries beta's healthcheck summary (its last output line).
  EXPECT_NE(pass.dump().find("UDP ban not in place"), std::string::npos) << pass.dump();
  ASSERT_FALSE(seen_health.empty()) << "beta's health never named the unbanned echo container";
  std::printf("beta health while it could not ban:\n%s\n", seen_health.c_str());
  EXPECT_NE(seen_health.find("\"ok\": false"), std::string::npos) << seen_health;
  auto onions = json::parse(seen_onions, nullptr, false);
  ASSERT_FALSE(onions.is_discarded()) << seen_onions;
  for (const auto& onion : onions["onions"])
    for (const auto& port : onion["ports"])
      EXPECT_NE(port.value("service", ""), "echo") << "echo was published";
  // Rolled back: the good beta bans again.
  EXPECT_TRUE(lt::wait_until([&] { return healthy("beta") && healthy("echo"); }, 60s, 500ms));
  EXPECT_TRUE(lt::wait_until([&] { return betactl({"resolve", "echo@ops"}).exit_code == 0; }, 20s));
}

}  // namespace
