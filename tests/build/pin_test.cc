// Unit tests for docker/images.yaml parsing and pinning digests into compose text.
#include <gtest/gtest.h>

#include "lucid/build/image_spec.h"
#include "lucid/build/pin.h"
#include "lucid/build/rootfs.h"

namespace lucid::build {
namespace {

const std::string kD1 = "sha256:" + std::string(64, 'a');
const std::string kD2 = "sha256:" + std::string(64, 'b');

TEST(ImageSpec, ParsesTheProjectList) {
  auto specs = load_image_specs(std::string(LUCID_SOURCE_DIR) + "/docker/images.yaml");
  ASSERT_TRUE(specs) << specs.error().message;
  bool beta = false, worker = false;
  for (const auto& s : *specs) {
    EXPECT_NE(s.uid(), 0u) << s.name;
    if (s.name == "beta") beta = s.stage == 0 && s.uid() == 10000;
    if (s.name == "node-worker") worker = s.stage == 3 && s.healthcheck.size() == 2;
  }
  EXPECT_TRUE(beta);
  EXPECT_TRUE(worker);
}

TEST(ImageSpec, RefusesRootRelativePathsAndDuplicates) {
  auto root = parse_image_specs(
      "images:\n  - {name: a, stage: 1, binaries: [x], entrypoint: [x], user: \"0:0\"}\n", "i.yaml");
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().message.find("root"), std::string::npos);
  auto rel = parse_image_specs(
      "images:\n  - {name: a, stage: 1, binaries: [x], entrypoint: [x], programs: [bin/sh]}\n", "i.yaml");
  ASSERT_FALSE(rel);
  EXPECT_NE(rel.error().message.find("absolute"), std::string::npos);
  auto dup = parse_image_specs(
      "images:\n  - {name: a, stage: 1, binaries: [x], entrypoint: [x]}\n  - {name: a, stage: 2, binaries: "
      "[x], "
      "entrypoint: [x]}\n",
      "i.yaml");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("i.yaml:3"), std::string::npos) << dup.error().message;
}

TEST(Pin, RewritesOnlyImageLinesOfTargets) {
  std::string compose =
      "services:\n"
      "  # keep me\n"
      "  beta:\n"
      "    image: registry.lucid.local:5000/lucid/beta@" +
      kD1 +
      "\n"
      "    user: \"10000:10000\"\n"
      "  other:\n"
      "    image: registry.lucid.local:5000/lucid/other@" +
      kD1 + "\n";
  auto r = pin_images(compose, {{"lucid/beta", {"0.1.0", kD2}}, {"lucid/lucidctl", {"0.1.0", kD2}}});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->changes.size(), 1u);
  EXPECT_EQ(r->changes[0].line, 4);
  EXPECT_EQ(r->changes[0].after, "    image: registry.lucid.local:5000/lucid/beta:0.1.0@" + kD2);
  EXPECT_NE(r->text.find("lucid/other@" + kD1), std::string::npos);
  EXPECT_NE(r->text.find("# keep me"), std::string::npos);
  ASSERT_EQ(r->unmatched, std::vector<std::string>{"lucid/lucidctl"});

  std::string diff = unified_diff(compose, r->text, "a/c.yml", "b/c.yml");
  EXPECT_NE(diff.find("@@ -1,7 +1,7 @@"), std::string::npos) << diff;
  EXPECT_NE(diff.find("-    image: registry.lucid.local:5000/lucid/beta@" + kD1), std::string::npos);
  EXPECT_NE(diff.find("+    image: registry.lucid.local:5000/lucid/beta:0.1.0@" + kD2), std::string::npos);
  // Pinning again to the same digest changes nothing.
  auto again = pin_images(r->text, {{"lucid/beta", {"0.1.0", kD2}}});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->changes.empty());
  EXPECT_EQ(again->text, r->text);
}

TEST(Rootfs, LddClosureHasTheLoader) {
  auto libs = shared_library_closure("/usr/bin/ldd");  // a shell script: not dynamic
  ASSERT_TRUE(libs) << libs.error().message;
  EXPECT_TRUE(libs->empty());
  auto git = shared_library_closure("/usr/bin/git");
  ASSERT_TRUE(git) << git.error().message;
  bool loader = false;
  for (const auto& l : *git) loader = loader || l.find("ld-linux") != std::string::npos;
  EXPECT_TRUE(loader);
}

TEST(Rootfs, DockerfileIsScratchNonRootExecForm) {
  ImageSpec s;
  s.name = "node-worker";
  s.stage = 3;
  s.user = "10001:10001";
  s.entrypoint = {"/usr/local/bin/lucid-node-worker"};
  s.healthcheck = {"/usr/local/bin/lucid-node-worker", "health"};
  std::string d = dockerfile(s, "0.1.0");
  EXPECT_NE(d.find("FROM scratch\n"), std::string::npos);
  EXPECT_NE(d.find("USER 10001:10001\n"), std::string::npos);
  EXPECT_NE(d.find("ENTRYPOINT [\"/usr/local/bin/lucid-node-worker\"]"), std::string::npos);
  EXPECT_NE(d.find("CMD [\"/usr/local/bin/lucid-node-worker\",\"health\"]"), std::string::npos);
}

TEST(Rootfs, StateDirsAreOwnedByTheImageUser) {
  auto specs = parse_image_specs(
      "version: 1\nimages:\n  - name: beta\n    stage: 0\n    binaries: [betad]\n    user: \"10000:10000\"\n"
      "    state_dirs: [/var/lib/beta]\n    entrypoint: [/usr/local/bin/betad]\n",
      "images.yaml");
  ASSERT_TRUE(specs) << specs.error().message;
  ASSERT_EQ((*specs)[0].state_dirs, std::vector<std::string>{"/var/lib/beta"});
  std::string d = dockerfile((*specs)[0], "0.1.0");
  auto copy = d.find("COPY --chown=10000:10000 state/var/lib/beta /var/lib/beta\n");
  ASSERT_NE(copy, std::string::npos) << d;
  EXPECT_LT(copy, d.find("USER 10000:10000\n"));
  EXPECT_FALSE(parse_image_specs(
      "version: 1\nimages:\n  - name: b\n    stage: 0\n    binaries: [b]\n    state_dirs: [var/lib/b]\n"
      "    entrypoint: [/b]\n",
      "images.yaml"));
}

}  // namespace
}  // namespace lucid::build
