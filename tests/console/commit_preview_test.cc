// What the console tells about a commit before a site tries it: a real signed config repo (git,
// ssh-keygen) in the deploy layout, rendered for real; the image check against a registry address
// where nothing listens (a no-verdict finding proves the check ran without needing images).
#include "lucid/console/commit_preview.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gitsig/ssh_tools.h"
#include "lucid/base/files.h"
#include "reconcile/signed_config_repo.h"
#include "testing/registry.h"
#include "testing/testing.h"

namespace lucid::console {
namespace {

namespace tt = gitsig::testing_tools;

std::vector<std::pair<std::string, std::string>> repo_files(const std::string& version, bool hardened) {
  return {
      {"infrastructure/compose/docker-compose.yml",
       fmt::format("services:\n  web:\n    image: registry.lucid.local:5000/lucid/web@sha256:{}\n"
                   "    profiles: [node]\n{}    environment:\n      VERSION: \"{}\"\n      S3_SECRET_KEY: "
                   "${{S3_SECRET_KEY}}\n{}",
                   std::string(64, 'a'), hardened ? testing::kHardenedService : "", version,
                   testing::kPlaneNetworks)},
      {"clusters/clusters.yaml",
       "version: 1\nwaves:\n  - name: canary\n    ref: refs/heads/wave/canary\nclusters:\n  - id: site-a\n"
       "    wave: canary\n    profiles: [node]\n"},
      {"clusters/site-a/.env",
       "CLUSTER_ID=site-a\nPROFILES=node\nS3_SECRET_KEY=enc:sops:site-a.enc.yaml#s3.secret_key\n"}};
}

TEST(CommitPreview, PlanDiffAgainstLastGoodLintGateAndImageVerdicts) {
  if (std::string why = tt::missing_tools(); !why.empty()) GTEST_SKIP() << why;
  testing::ScratchDir dir;
  testing::SignedConfigRepo repo(dir.path());
  // An image signer key (the image policy needs one; the images are never reached here).
  auto key = testing::run({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                           (dir / "signer.key").string()});
  auto pub = testing::run({"openssl", "ec", "-in", (dir / "signer.key").string(), "-pubout"});
  ASSERT_EQ(pub.exit_code, 0) << key.err << pub.err;
  auto files = repo_files("v1", true);
  files.emplace_back("policies/signers/test.pub", pub.out);
  auto matrix = read_text_file(std::string(LUCID_SOURCE_DIR) + "/deploy/policies/inclusion-matrix.yaml");
  ASSERT_TRUE(matrix) << matrix.error().message;
  files.emplace_back("policies/inclusion-matrix.yaml", *matrix);
  const std::string good = repo.push(files, "v1");
  const std::string next = repo.push(repo_files("v2", false), "v2: web loses its hardening");

  PreviewRequest q{repo.remote, next, "site-a", good, ""};
  auto p = preview_commit(q);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(p->contains("render_error")) << p->dump(2);
  const std::string diff = (*p)["plan_diff"];
  EXPECT_NE(diff.find("-      VERSION: v1"), std::string::npos) << diff;
  EXPECT_NE(diff.find("+      VERSION: v2"), std::string::npos) << diff;
  EXPECT_NE(diff.find("-    read_only: true"), std::string::npos) << diff;
  // Secrets stay references: the plan is rendered without resolving them.
  EXPECT_NE(diff.find("enc:sops:site-a.enc.yaml#s3.secret_key"), std::string::npos) << diff;
  EXPECT_NE((*p)["trusted_policies"].get<std::string>().find("last-good commit " + good.substr(0, 12)),
            std::string::npos);
  ASSERT_FALSE((*p)["lint_gate"].empty()) << p->dump(2);
  EXPECT_NE((*p)["lint_gate"].dump().find("hardening/"), std::string::npos) << (*p)["lint_gate"].dump();
  EXPECT_TRUE((*p)["images"].is_null());  // no registry given

  // With a registry that does not answer: the check runs and says it has no verdict.
  q.commit = good;
  q.registry = fmt::format("http://127.0.0.1:{}", testing::free_loopback_port());
  p = preview_commit(q);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE((*p)["lint_gate"].empty()) << (*p)["lint_gate"].dump();
  EXPECT_EQ((*p)["plan_diff"], "");  // the same commit
  const auto& images = (*p)["images"];
  ASSERT_TRUE(images.is_object() && images.contains("ok")) << p->dump(2);
  ASSERT_EQ(images["images"].size(), 1u) << images.dump(2);
  EXPECT_FALSE(images["ok"].get<bool>());
  EXPECT_TRUE(images["images"][0]["findings"][0]["unreachable"].get<bool>()) << images.dump(2);

  // Before a first promotion there is no last-good plan to diff against.
  q = PreviewRequest{repo.remote, good, "site-a", "", ""};
  p = preview_commit(q);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_NE((*p)["plan_diff"].get<std::string>().find("+      VERSION: v1"), std::string::npos);
  EXPECT_NE((*p)["trusted_policies"].get<std::string>().find("commit's own"), std::string::npos);
}

}  // namespace
}  // namespace lucid::console
