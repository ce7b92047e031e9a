// beta as deployed (issue 13 items 1, 2 on a site, and 7): its image, built by `lucidctl build --stage 0`,
// started by the reconciler (`lucidctl reconcile --once`) from a signed config repo with deploy/'s privileged
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
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "lucid/base/files.h"
#include "lucid/beta/acl.h"
#include "lucid/beta/namespace_rules.h"
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
    // busybox with beta's test probe (/bin/probe: a SOCKS5 client among others).
    Images::busybox = Images::prefix + "/busybox:1";
    if (std::string why =
            lt::build_busybox_image(Images::busybox, {{lt::bin_dir() / "beta_probe", "/bin/probe"}});
        !why.empty())
      Images::skip = why;
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

// The wallet plane's services of SPEC-4 (and observer, which has no access there), as the
// wallet-plane variant of the compose file runs them.
constexpr const char* kWalletServices[] = {"walletd", "tron-node", "node-economy", "observer"};

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
  // (so its health shows whether /tmp is writable after a restart) and answers HTTP on 8080. With `wallet`,
  // beta also runs the wallet plane, where busybox services labelled as kWalletServices each answer HTTP on
  // 8080 with their name.
  std::string compose(const std::string& extra_beta_args = {}, bool wallet = false) const {
    std::string wallet_services;
    for (const char* service : kWalletServices)
      wallet_services += fmt::format(R"(  {service}:
    image: {busybox}
    profiles: [node]
    command: ["sh", "-c", "echo {service} > /tmp/index.html && exec httpd -f -p 8080 -h /tmp"]
    stop_grace_period: 1s
{hardened}    tmpfs:
      - "/tmp:rw,noexec,nosuid,nodev,size=1m,uid=10001,gid=10001"
    labels:
      com.lucid.plane: wallet
      com.lucid.service: {service}
      com.lucid.expose: "8080"
    networks: [wallet]
)",
                                     fmt::arg("service", service), fmt::arg("busybox", Images::busybox),
                                     fmt::arg("hardened", lt::kHardenedService));
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
    networks: [{beta_networks}]
    expose: ["9050", "7000", "9105"]
    environment:
      BETA_CLUSTER_ID: "${{CLUSTER_ID}}"
      BETA_PLANES: {beta_planes}
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
    command: ["sh", "-c", "echo up > /tmp/alive && echo echo > /tmp/index.html && exec httpd -f -p 8080 -h /tmp"]
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
{wallet_services}volumes:
  beta-state: {{}}
  node-worker-spool: {{}}
)",
                       fmt::arg("beta", Images::beta), fmt::arg("node_worker", Images::node_worker),
                       fmt::arg("busybox", Images::busybox), fmt::arg("project", project_),
                       fmt::arg("extra", extra_beta_args), fmt::arg("hardened", lt::kHardenedService),
                       fmt::arg("beta_networks", wallet ? "ops, wallet" : "ops"),
                       fmt::arg("beta_planes", wallet ? "ops,wallet" : "ops"),
                       fmt::arg("wallet_services", wallet ? wallet_services : ""));
  }

  // A commit of the config repo: the compose file, the cluster, deploy/'s privileged policy and,
  // when given, policies/acl.yaml.
  std::string push(const std::string& compose_text, const std::string& message,
                   const std::optional<std::string>& acl = std::nullopt) {
    const auto* docker_group = ::getgrnam("docker");
    std::vector<std::pair<std::string, std::string>> files{
        {"infrastructure/compose/docker-compose.yml", compose_text},
        {"clusters/clusters.yaml",
         fmt::format("version: 1\nwaves:\n  - name: canary\n    ref: refs/heads/main\n"
                     "clusters:\n  - id: {}\n    wave: canary\n    profiles: [node]\n",
                     cluster_)},
        // Later commits are judged by the last-good commit's privileged policy: deploy/'s.
        {"policies/privileged.yaml",
         lucid::read_text_file(fs::path(LUCID_SOURCE_DIR) / "deploy/policies/privileged.yaml").value()},
        {"clusters/" + cluster_ + "/.env",
         fmt::format("CLUSTER_ID={}\nPROFILES=node\nBETA_PLANES=ops\nDOCKER_GID={}\n", cluster_,
                     docker_group ? docker_group->gr_gid : 999)}};
    if (acl) files.emplace_back("policies/acl.yaml", *acl);
    return repo_->push(files, message);
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

// Issue 13 items 2 (on a site) and 3, "What must be shown" 2: the config repo's policies/acl.yaml
// (deploy/'s own) reaches the deployed beta (the cluster render gives it BETA_ACL_POLICY, so a change
// of the policy is a change of beta's config hash), and it acts on connections, measured from inside
// the containers: on the deny-by-default wallet plane exactly the policy's pairs connect (walletd <->
// tron-node, node-economy -> tron-node), every other pair is refused, and so is every cross-plane
// pair; the SOCKS front (TOR_SOCKS=beta:9050) relays the same pairs and nothing else; a commit that
// drops walletd's pair is enforced once the reconciler has rolled it out.
TEST_F(BetaDeployed, RepoAclReachesBetaAndConnectionsFollowIt) {
  const auto t0 = std::chrono::steady_clock::now();
  auto phase = [&](const char* what) {
    std::printf("[%5.1f s] %s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), what);
  };
  // deploy/'s policy without its cross-cluster `links:` (lint requires their ends to be services of
  // the compose file, and this site runs only the wallet plane's).
  std::string policy_text =
      lucid::read_text_file(fs::path(LUCID_SOURCE_DIR) / "deploy/policies/acl.yaml").value();
  const auto links_at = policy_text.find("\n# SPEC-4 \"Interdependencies");
  ASSERT_NE(links_at, std::string::npos) << "deploy/'s acl.yaml changed shape";
  policy_text.resize(links_at + 1);
  const auto policy = lucid::beta::AclPolicy::parse(policy_text).value();
  ASSERT_EQ(push(compose({}, true), "beta on ops and wallet, wallet services", policy_text).size(), 40u);
  auto pass = reconcile();
  ASSERT_EQ(pass.value("outcome", ""), "promoted") << pass.dump();
  phase("reconciled");

  // The policy in beta's environment is the repo's file, byte for byte.
  auto env = json::parse(lt::docker({"inspect", "-f", "{{json .Config.Env}}", container("beta")}).out,
                         nullptr, false);
  ASSERT_TRUE(env.is_array());
  std::optional<std::string> given;
  for (const auto& e : env)
    if (auto v = e.get<std::string>(); v.starts_with("BETA_ACL_POLICY=")) given = v.substr(16);
  ASSERT_TRUE(given) << env.dump();
  EXPECT_EQ(*given, policy_text);
  EXPECT_EQ(betactl({"acl", "check", "node-economy@wallet", "tron-node@wallet"}).exit_code, 0)
      << "the repo's pair, which beta's built-in default does not have";

  auto address = [&](const std::string& service, const std::string& plane) {
    std::string ip =
        lt::docker({"inspect", "-f",
                    "{{(index .NetworkSettings.Networks \"" + project_ + "_" + plane + "\").IPAddress}}",
                    container(service)})
            .out;
    return ip.substr(0, ip.find('\n'));
  };
  // An HTTP GET of `to`'s page from inside `from`: its body, or empty when refused. busybox wget
  // gives up at once on a reset; `timeout` bounds a dropped packet (cross-plane: no route).
  auto fetch = [&](const std::string& from, const std::string& to, const std::string& plane) {
    auto r = lt::docker({"exec", container(from), "/bin/busybox", "timeout", "3", "/bin/busybox", "wget",
                         "-q", "-O-", fmt::format("http://{}:8080/", address(to, plane))});
    return r.exit_code == 0 ? r.out : std::string();
  };
  // Each service is a target (it resolves) only once its rules are in place: before, nothing would
  // refuse anyone yet.
  for (const char* service : kWalletServices)
    ASSERT_TRUE(lt::wait_until(
        [&] {
          return betactl({"resolve", std::string(service) + "@wallet"}).exit_code == 0;
        },
        30s))
        << service << lt::docker({"logs", container("beta")}).err;
  // Every ordered pair of the wallet plane; an allowed pair may wait for its callee's admission.
  std::vector<std::string> matrix, wrong;
  for (const std::string from : kWalletServices)
    for (const std::string to : kWalletServices) {
      if (from == to) continue;
      const bool allowed = policy.check(from, "wallet", to, "wallet").allowed;
      bool connected = false;
      if (allowed)
        connected = lt::wait_until([&] { return fetch(from, to, "wallet") == to + "\n"; }, 30s, 250ms);
      else
        connected = !fetch(from, to, "wallet").empty();
      matrix.push_back(fmt::format("{} -> {}: {} ({})", from, to, connected ? "connected" : "refused",
                                   allowed ? "allowed" : "denied"));
      if (connected != allowed) wrong.push_back(matrix.back());
    }
  // Cross plane, both ways: echo on ops and each wallet service.
  for (const std::string wallet : {"walletd", "tron-node"}) {
    for (auto [from, to, plane] :
         {std::tuple<std::string, std::string, std::string>{"echo", wallet, "wallet"},
          {wallet, "echo", "ops"}}) {
      const bool connected = !fetch(from, to, plane).empty();
      matrix.push_back(fmt::format("{}@{} -> {}@{}: {} (cross plane)", from,
                                   from == "echo" ? "ops" : "wallet", to, plane,
                                   connected ? "connected" : "refused"));
      if (connected) wrong.push_back(matrix.back());
    }
  }
  std::printf("connections, measured from inside the containers:\n  %s\n",
              fmt::format("{}", fmt::join(matrix, "\n  ")).c_str());
  EXPECT_TRUE(wrong.empty()) << fmt::format("{}", fmt::join(wrong, "; "));
  phase("connection matrix");

  // TOR_SOCKS=beta:9050 (issue 13 item 3): the SOCKS front on beta's address on each plane network
  // relays an onion name of the caller's own plane as the ACL allows, and nothing else.
  auto onions = json::parse(betactl({"onions"}).out, nullptr, false);
  ASSERT_FALSE(onions.is_discarded());
  std::string wallet_onion, tron_port;
  for (const auto& onion : onions["onions"])
    if (onion["plane"] == "wallet") {
      wallet_onion = onion.value("address", "");
      for (const auto& port : onion["ports"])
        if (port["service"] == "tron-node") tron_port = std::to_string(port.value("virtual_port", 0));
    }
  ASSERT_FALSE(wallet_onion.empty() || tron_port.empty()) << onions.dump();
  auto socks_get = [&](const std::string& from, const std::string& plane, const std::string& host,
                       const std::string& port) {
    return lt::docker({"exec", container(from), "/bin/busybox", "timeout", "10", "/bin/probe", "socks-get",
                       address("beta", plane), "9050", host, port, "/"});
  };
  auto relayed = socks_get("walletd", "wallet", wallet_onion, tron_port);
  EXPECT_EQ(relayed.exit_code, 0) << relayed.out << relayed.err;
  EXPECT_NE(relayed.out.find("\r\n\r\ntron-node\n"), std::string::npos)
      << "walletd -> tron-node over TOR_SOCKS: " << relayed.out;
  EXPECT_NE(socks_get("node-economy", "wallet", wallet_onion, tron_port).out.find("tron-node\n"),
            std::string::npos);
  EXPECT_EQ(socks_get("observer", "wallet", wallet_onion, tron_port).out, "socks reply 2\n") << "ACL: denied";
  EXPECT_EQ(socks_get("echo", "ops", wallet_onion, tron_port).out, "socks reply 2\n")
      << "ops may not reach the wallet plane's onion";
  EXPECT_EQ(socks_get("walletd", "wallet", "example.com", "80").out, "socks reply 2\n") << "no clearnet";
  EXPECT_EQ(socks_get("walletd", "wallet", address("tron-node", "wallet"), "8080").out, "socks reply 2\n")
      << "no address literal";
  phase("SOCKS front");

  // What `lucidctl accept` measures on the site agrees, both ways: the probe (a wallet service no pair
  // names) connects to nothing, and probes with the real services' identities connect exactly along
  // the policy's pairs.
  auto report = accept();
  EXPECT_TRUE(check_status(report, "cluster.wallet-isolation").starts_with("pass"))
      << check_status(report, "cluster.wallet-isolation");
  std::set<std::string> connected, refused;
  for (const auto& c : report["checks"])
    if (c["id"] == "cluster.wallet-isolation")
      for (const auto& p : c["detail"]["probes"])
        (p["connected"].get<bool>() ? connected : refused)
            .insert(p["from"].get<std::string>() + " -> " + p["to"].get<std::string>());
  for (const char* pair : {"walletd@wallet -> tron-node@wallet", "tron-node@wallet -> walletd@wallet",
                           "node-economy@wallet -> tron-node@wallet"})
    EXPECT_TRUE(connected.contains(pair))
        << pair << " should connect; connected: " << fmt::format("{}", fmt::join(connected, ", "));
  for (const char* pair : {"accept-probe@wallet -> walletd@wallet", "observer@wallet -> walletd@wallet",
                           "node-economy@wallet -> walletd@wallet"})
    EXPECT_TRUE(refused.contains(pair))
        << pair << " should be refused; refused: " << fmt::format("{}", fmt::join(refused, ", "));
  phase("accepted");

  // A restarted caller (a new namespace, possibly a new address) is admitted again.
  ASSERT_EQ(lt::docker({"restart", "-t", "1", container("walletd")}).exit_code, 0);
  EXPECT_TRUE(
      lt::wait_until([&] { return fetch("walletd", "tron-node", "wallet") == "tron-node\n"; }, 30s, 250ms))
      << "walletd after its restart";
  phase("walletd restarted, admitted again");
  auto metrics = lt::docker({"exec", container("echo"), "/bin/busybox", "wget", "-q", "-O-",
                             fmt::format("http://{}:9105/metrics", address("beta", "ops"))});
  EXPECT_NE(metrics.out.find("beta_acl_stale_admissions 0"), std::string::npos) << metrics.out << metrics.err;
  EXPECT_NE(metrics.out.find("beta_socks_connections_total{plane=\"wallet\",result=\"relayed\"} 2"),
            std::string::npos)
      << metrics.out;

  // The policy changes in Git: beta is re-created with it (its config hash changed) and walletd's
  // pair is refused from then on, at the connection and at the SOCKS front.
  std::string without = policy_text;
  const auto pair_at = without.find("      - from: walletd\n        to: tron-node\n");
  const auto next_at = without.find("      - from: node-economy", pair_at);
  ASSERT_TRUE(pair_at != std::string::npos && next_at != std::string::npos)
      << "deploy/'s acl.yaml changed shape";
  without.erase(pair_at, next_at - pair_at);
  push(compose({}, true), "wallet: drop walletd <-> tron-node", without);
  pass = reconcile();
  ASSERT_EQ(pass.value("outcome", ""), "promoted") << pass.dump();
  EXPECT_TRUE(lt::wait_until([&] { return fetch("walletd", "tron-node", "wallet").empty(); }, 30s, 250ms))
      << "walletd still reaches tron-node after the pair was dropped";
  EXPECT_EQ(betactl({"acl", "check", "walletd@wallet", "tron-node@wallet"}).exit_code, 1);
  EXPECT_EQ(fetch("node-economy", "tron-node", "wallet"), "tron-node\n") << "the other pair stays";
  EXPECT_EQ(socks_get("walletd", "wallet", wallet_onion, tron_port).out, "socks reply 2\n")
      << "the SOCKS front follows the new policy too";
  phase("pair dropped in Git, refused");
}

}  // namespace
