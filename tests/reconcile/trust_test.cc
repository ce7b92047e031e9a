// The reconciler's trust pieces that need no engine: the mirror's per-cluster refs, ancestry and
// committer time (real git), the one-reconciler-per-cluster lock, and the deploy gates (trusted
// policies overlaid on a checkout, lint gate families, canonical registry, empty plan).
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "gitsig/ssh_tools.h"
#include "lucid/gitsig/git_repo.h"
#include "lucid/reconcile/cluster_lock.h"
#include "lucid/reconcile/deploy_gates.h"
#include "lucid/reconcile/git_mirror.h"
#include "testing/testing.h"

using namespace lucid;
namespace fs = std::filesystem;
namespace tt = lucid::gitsig::testing_tools;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(MirrorRefs, PerClusterTrackingRefsAncestryAndCommitTime) {
  if (!lucid::testing::have_program("git")) GTEST_SKIP() << "git not installed (run scripts/bootstrap)";
  lucid::testing::ScratchDir dir;
  const fs::path work = dir / "work";
  tt::init_repo(work);
  std::string first = tt::commit(work, "one", nullptr, {{"a.txt", "1\n"}});
  std::string second = tt::commit(work, "two", nullptr, {{"a.txt", "2\n"}});
  tt::git(work, {"branch", "-q", "canary", first});
  const fs::path mirror = dir / "state" / "mirror.git";

  // Two clusters share the mirror: each fetch lands in its own ref.
  auto a =
      reconcile::fetch_tracked(mirror, work.string(), "refs/heads/main", "", reconcile::tracking_ref("a"));
  ASSERT_TRUE(a) << a.error().message;
  auto b =
      reconcile::fetch_tracked(mirror, work.string(), "refs/heads/canary", "", reconcile::tracking_ref("b"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*a, second);
  EXPECT_EQ(*b, first);
  EXPECT_FALSE(fs::exists(mirror / "FETCH_HEAD"));  // nothing shared between the two fetches
  EXPECT_FALSE(reconcile::fetch_tracked(mirror, work.string(), "refs/heads/main", "", "refs/heads/x"));

  // The ancestry the reconciler asks of the mirror (gitsig::is_ancestor on a bare repository).
  EXPECT_TRUE(*gitsig::is_ancestor(mirror.string(), first, second));
  EXPECT_TRUE(*gitsig::is_ancestor(mirror.string(), second, second));
  EXPECT_FALSE(*gitsig::is_ancestor(mirror.string(), second, first));
  EXPECT_FALSE(gitsig::is_ancestor(mirror.string(), first, "0123456789abcdef0123456789abcdef01234567"));

  auto t = reconcile::commit_time(mirror, second);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_GT(*t, 1'700'000'000);
  EXPECT_LE(*t, static_cast<std::int64_t>(::time(nullptr)) + 5);

  // Rollback targets are refs, so a gc keeps them although no fetched ref reaches them any more.
  ASSERT_TRUE(reconcile::keep_ref(mirror, reconcile::last_good_ref("a"), second));
  tt::git(work, {"commit", "-q", "--amend", "-m", "rewritten"});
  auto rewritten =
      reconcile::fetch_tracked(mirror, work.string(), "refs/heads/main", "", reconcile::tracking_ref("a"));
  ASSERT_TRUE(rewritten);
  EXPECT_NE(*rewritten, second);
  tt::git(mirror, {"gc", "-q", "--prune=now"});
  EXPECT_EQ(tt::git_try(mirror, {"cat-file", "-e", second + "^{commit}"}).exit_code, 0);
  EXPECT_FALSE(reconcile::keep_ref(mirror, "refs/heads/main", second));  // only refs/lucid/…
}

TEST(ClusterLock, OneHolderPerClusterNamingThePid) {
  lucid::testing::ScratchDir dir;
  auto first = reconcile::ClusterLock::take(dir.path(), "alpha");
  ASSERT_TRUE(first) << first.error().message;
  // Another process (a forked child) cannot take it, and is told who holds it.
  pid_t child = ::fork();
  if (child == 0) {
    auto again = reconcile::ClusterLock::take(dir.path(), "alpha");
    bool refused = !again && again.error().kind == ErrorKind::kAlreadyExists &&
                   again.error().message.find(std::to_string(::getppid())) != std::string::npos;
    auto other = reconcile::ClusterLock::take(dir.path(), "beta");  // another cluster: free
    ::_exit(refused && other ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto same_process = reconcile::ClusterLock::take(dir.path(), "alpha");
  ASSERT_FALSE(same_process);
  EXPECT_NE(same_process.error().message.find("alpha.lock"), std::string::npos)
      << same_process.error().message;
  first = reconcile::ClusterLock::take(dir.path(), "gamma");  // releases alpha
  ASSERT_TRUE(first);
  EXPECT_TRUE(reconcile::ClusterLock::take(dir.path(), "alpha"));
  EXPECT_FALSE(reconcile::ClusterLock::take(dir.path(), "../x"));
}

TEST(DeployGates, TrustedPoliciesReplaceTheCommitsOwn) {
  lucid::testing::ScratchDir dir;
  const fs::path checkout = dir / "checkout", trusted = dir / "trusted";
  write(checkout / "policies/signers/own.pub", "commit's own key\n");
  write(checkout / "policies/privileged.yaml", "commit's own grants\n");
  write(trusted / "policies/signers/ops.pub", "trusted key\n");
  auto t = reconcile::policies_of_checkout(trusted, "last-good");
  ASSERT_TRUE(t.signers_dir);
  EXPECT_FALSE(t.privileged);
  ASSERT_TRUE(reconcile::overlay_trusted_policies(checkout, t));
  EXPECT_TRUE(fs::exists(checkout / "policies/signers/ops.pub"));
  EXPECT_FALSE(fs::exists(checkout / "policies/signers/own.pub"));
  EXPECT_FALSE(fs::exists(checkout / "policies/privileged.yaml"));  // none trusted: no exception granted

  reconcile::TrustedPolicies none;
  ASSERT_TRUE(reconcile::overlay_trusted_policies(checkout, none));
  EXPECT_FALSE(fs::exists(checkout / "policies/signers"));
}

TEST(DeployGates, CanonicalRegistryAndEmptyPlan) {
  render::Plan plan;
  plan.document = nlohmann::json::parse(R"({"services": {
      "ok": {"image": "registry.lucid.local:5000/lucid/beta@sha256:00"},
      "other": {"image": "docker.io/library/busybox"},
      "lookalike": {"image": "registry.lucid.local:5000.evil.example/x"},
      "none": {}}})");
  auto foreign = reconcile::foreign_images(plan, "registry.lucid.local:5000");
  ASSERT_EQ(foreign.size(), 3u);
  for (const auto& f : foreign) EXPECT_EQ(f.find("ok:"), std::string::npos) << f;
  EXPECT_FALSE(reconcile::empty_plan(plan));
  render::Plan empty;
  empty.document = nlohmann::json::parse(R"({"services": {}})");
  EXPECT_TRUE(reconcile::empty_plan(empty));
  empty.document = nlohmann::json::object();
  EXPECT_TRUE(reconcile::empty_plan(empty));
}

// The reference config repo passes the gates; a copy with a hardening break and a UDP port does not,
// and the findings name the file relative to the checkout.
TEST(DeployGates, LintGateRefusesWhatTheGateFamiliesFind) {
  const fs::path deploy = fs::path(LUCID_SOURCE_DIR) / "deploy";
  EXPECT_TRUE(reconcile::lint_gate(deploy, true).empty());
  lucid::testing::ScratchDir dir;
  const fs::path copy = dir / "repo";
  fs::copy(deploy, copy, fs::copy_options::recursive);
  const fs::path compose = copy / "infrastructure/compose/docker-compose.yml";
  std::ifstream in(compose);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string hardened = "\n    read_only: true";  // a service's key (the file's comments name it too)
  auto at = text.find(hardened);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, hardened.size(), "\n    read_only: false");
  std::ofstream(compose) << text;
  auto findings = reconcile::lint_gate(copy, true);
  ASSERT_FALSE(findings.empty());
  EXPECT_NE(findings.front().find("infrastructure/compose/docker-compose.yml:"), std::string::npos)
      << findings.front();
  EXPECT_NE(findings.front().find("hardening/read-only"), std::string::npos) << findings.front();
}

}  // namespace
