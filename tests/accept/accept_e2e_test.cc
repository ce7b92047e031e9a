// `lucidctl accept` on the real engine against a site laid out as Compose lays out lucid-<cluster>
// (project-labelled plane networks, the node-worker spool volume, service containers), built here
// with the docker CLI so the test stays within a few tens of seconds: the real node-worker image
// seals the sample, a busybox "walletd" listens on the wallet network. No beta runs, so the UDP
// probe must see the labelled sender's datagrams arrive and fail, beta's check must fail (beta is
// part of every cluster), and the wallet probe must connect where acl.yaml denies it: each a
// failure the command reports honestly. Images: lucid/node-worker:<version> (built with
// `lucidctl build --stage 3` when absent), a busybox test image, and the probe image accept builds.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/labels.h"
#include "lucid/version.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace {

namespace fs = std::filesystem;
using lucid::testing::bin_dir;
using lucid::testing::docker;
using lucid::testing::run;
using lucid::testing::ScratchDir;
using nlohmann::json;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// Everything the site is made of, removed at scope exit (also after a failed assertion).
struct Site {
  std::string cluster, project;
  std::vector<std::string> containers, networks, volumes;
  ~Site() {
    for (const auto& c : containers) docker({"rm", "-f", c});
    // Probe containers left by an interrupted run carry lucid.accept.probe.
    auto left = docker({"ps", "-aq", "--filter", "label=com.docker.compose.project=" + project});
    std::istringstream ids(left.out);
    for (std::string id; std::getline(ids, id);)
      if (!id.empty()) docker({"rm", "-f", id});
    for (const auto& n : networks) docker({"network", "rm", n});
    for (const auto& v : volumes) docker({"volume", "rm", "-f", v});
  }
};

const json* find_check(const json& report, const std::string& id) {
  for (const auto& c : report["checks"])
    if (c["id"] == id) return &c;
  return nullptr;
}

TEST(AcceptE2e, ReportsWhatTheSiteDoesAndWritesTheFile) {
  if (auto why = lucid::testing::ensure_docker(); !why.empty()) GTEST_SKIP() << why;
  if (::geteuid() != 0) GTEST_SKIP() << "accept writes into a volume's host directory: needs root";
  const std::string worker_image = fmt::format("lucid/node-worker:{}", lucid::kLucidVersion);
  if (docker({"image", "inspect", worker_image}).exit_code != 0) {
    auto built =
        run({(bin_dir() / "lucidctl").string(), "build", "--stage", "3", "--images",
             (fs::path(LUCID_SOURCE_DIR) / "docker/images.yaml").string(), "--bin-dir", bin_dir().string()});
    ASSERT_EQ(built.exit_code, 0) << "lucidctl build --stage 3: " << built.out << built.err;
  }
  const std::string busybox = "lucid-test/accept-busybox:1";
  if (auto why = lucid::testing::build_busybox_image(busybox); !why.empty()) GTEST_SKIP() << why;

  Site site;
  site.cluster = fmt::format("acc-e2e-{}", ::getpid());
  site.project = "lucid-" + site.cluster;
  const std::string project_label = "com.docker.compose.project=" + site.project;
  for (const auto* plane : {"ops", "wallet"}) {
    std::string name = fmt::format("{}_{}", site.project, plane);
    auto r = docker({"network", "create", "--internal", "--label", project_label, "--label",
                     std::string("com.lucid.plane=") + plane, name});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    site.networks.push_back(name);
  }
  const std::string volume = site.project + "_node-worker-spool";
  ASSERT_EQ(docker({"volume", "create", "--label", project_label, volume}).exit_code, 0);
  site.volumes.push_back(volume);
  auto mp = docker({"volume", "inspect", "-f", "{{.Mountpoint}}", volume});
  std::string mountpoint = mp.out.substr(0, mp.out.find('\n'));
  ASSERT_EQ(::chown(mountpoint.c_str(), 10001, 10001), 0) << mountpoint;

  // node-worker as the compose file runs it.
  std::string worker = site.project + "_node-worker_1";
  site.containers.push_back(worker);
  auto w = docker({"run",
                   "-d",
                   "--name",
                   worker,
                   "--label",
                   project_label,
                   "--label",
                   "com.docker.compose.service=node-worker",
                   "--label",
                   "com.lucid.plane=ops",
                   "--label",
                   "com.lucid.service=node-worker",
                   "--read-only",
                   "--user",
                   "10001:10001",
                   "--cap-drop",
                   "ALL",
                   "--security-opt",
                   "no-new-privileges:true",
                   "--tmpfs",
                   "/tmp:rw,noexec,nosuid,nodev,size=64m",
                   "--network",
                   site.project + "_ops",
                   "-v",
                   volume + ":/var/lib/lucid",
                   worker_image});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  // A wallet-plane service listening on TCP 8080 (busybox httpd), deny-by-default per acl.yaml.
  std::string walletd = site.project + "_walletd_1";
  site.containers.push_back(walletd);
  auto wd = docker({"run",       "-d",
                    "--name",    walletd,
                    "--label",   project_label,
                    "--label",   "com.docker.compose.service=walletd",
                    "--label",   "com.lucid.plane=wallet",
                    "--label",   "com.lucid.service=walletd",
                    "--label",   "com.lucid.expose=8080",
                    "--network", site.project + "_wallet",
                    busybox,     "httpd",
                    "-f",        "-p",
                    "8080"});
  ASSERT_EQ(wd.exit_code, 0) << wd.err;
  ASSERT_TRUE(lucid::testing::wait_until([&] { return fs::exists(fs::path(mountpoint) / "node.key.pub"); },
                                         std::chrono::seconds(20)))
      << docker({"logs", worker}).err;

  // The config repo the site runs: the cluster with node and admin profiles, deploy/'s policies.
  ScratchDir dir;
  fs::path repo = dir / "repo";
  write(repo / "clusters/clusters.yaml",
        fmt::format("version: 1\nwaves:\n  - name: canary\n    ref: refs/heads/main\nclusters:\n  - id: {}\n"
                    "    wave: canary\n    profiles: [node, admin]\n",
                    site.cluster));
  write(repo / "clusters" / site.cluster / ".env", "BETA_PLANES=ops,wallet\n");
  fs::create_directories(repo / "policies");
  for (const auto* f : {"profiles.yaml", "acl.yaml"})
    fs::copy_file(fs::path(LUCID_SOURCE_DIR) / "deploy/policies" / f, repo / "policies" / f);

  fs::path state = dir / "state";
  auto r = run({(bin_dir() / "lucidctl").string(), "accept", "--cluster", site.cluster, "--repo-checkout",
                repo.string(), "--state-dir", state.string(), "--json", "--sample-mib", "9", "--datagrams",
                "5", "--ban-grace-ms", "500", "--seal-timeout", "30"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;  // checks fail (no beta), none is an error
  auto report = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out;
  EXPECT_EQ(report["cluster"], site.cluster);
  EXPECT_EQ(report["ok"], false);

  const auto* sealed = find_check(report, "node.sample-payload-sealed");
  ASSERT_NE(sealed, nullptr);
  EXPECT_EQ((*sealed)["result"], "pass") << sealed->dump();
  EXPECT_EQ((*sealed)["detail"]["chunks"], 2);                   // 9 MiB at the default 8 MiB chunk size
  EXPECT_TRUE(fs::is_empty(fs::path(mountpoint) / "sessions"));  // the sample's session is removed

  const auto* udp = find_check(report, "cluster.no-udp");
  ASSERT_NE(udp, nullptr);
  EXPECT_EQ((*udp)["result"], "fail") << udp->dump();
  ASSERT_EQ((*udp)["detail"]["planes"].size(), 2u) << udp->dump();
  for (const auto& p : (*udp)["detail"]["planes"]) {
    EXPECT_EQ(p["control_received"], 5) << p.dump();
    EXPECT_EQ(p["labelled_received"], 5) << p.dump();  // nothing bans UDP here: it must be seen
  }

  const auto* onions = find_check(report, "cluster.beta-onions");
  ASSERT_NE(onions, nullptr);
  EXPECT_EQ((*onions)["result"], "fail");
  EXPECT_NE((*onions)["evidence"].get<std::string>().find("beta is not started"), std::string::npos);

  const auto* wallet = find_check(report, "cluster.wallet-isolation");
  ASSERT_NE(wallet, nullptr);
  EXPECT_EQ((*wallet)["result"], "fail") << wallet->dump();
  ASSERT_EQ((*wallet)["detail"]["probes"].size(), 1u);
  EXPECT_EQ((*wallet)["detail"]["probes"][0]["connected"], true);
  EXPECT_EQ((*wallet)["detail"]["probes"][0]["policy_allows"], false);

  for (const auto* id : {"admin.payout-dry-run", "node.encode-cpu", "node.dht-availability"}) {
    const auto* c = find_check(report, id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_EQ((*c)["result"], "not-implemented") << id;
    EXPECT_NE((*c)["evidence"].get<std::string>().find("missing service"), std::string::npos) << id;
  }
  // walletd runs: what is missing is Lucid's probe, and the check says so (still not a pass).
  const auto* rotate = find_check(report, "admin.keys-rotate");
  ASSERT_NE(rotate, nullptr);
  EXPECT_EQ((*rotate)["result"], "not-implemented");
  EXPECT_EQ((*rotate)["detail"]["missing"], "probe");
  EXPECT_EQ((*rotate)["detail"]["services"]["walletd"], "running");
  EXPECT_EQ(find_check(report, "relay.directory-converges"), nullptr);

  // The file the site's /status includes is the same report.
  std::ifstream f(state / "acceptance" / (site.cluster + ".json"));
  auto file = json::parse(f, nullptr, false);
  EXPECT_EQ(file, report);
  // Every probe container of this run is gone (other suites' sites may be running their own).
  auto left = docker(
      {"ps", "-aq", "--filter", std::string("label=") + lucid::kAcceptProjectLabel + "=" + site.project});
  EXPECT_TRUE(left.out.empty()) << left.out;
}

TEST(AcceptE2e, UsageAndMissingStateAreExitTwo) {
  ScratchDir dir;
  auto none = run({(bin_dir() / "lucidctl").string(), "accept"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--cluster"), std::string::npos) << none.err;
  auto nostate = run(
      {(bin_dir() / "lucidctl").string(), "accept", "--cluster", "x", "--state-dir", dir.path().string()});
  EXPECT_EQ(nostate.exit_code, 2);
  EXPECT_NE(nostate.err.find("state.db"), std::string::npos) << nostate.err;
}

}  // namespace
