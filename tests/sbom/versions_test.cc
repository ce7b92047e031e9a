// Version ordering: Debian versions against the real `dpkg --compare-versions` on many pairs,
// semantic versions by the SemVer 2.0.0 precedence examples, and purl parsing/building.
#include <gtest/gtest.h>

#include "lucid/oci/image_ref.h"
#include "lucid/sbom/debian_version.h"
#include "lucid/sbom/purl.h"
#include "lucid/sbom/semver.h"
#include "testing/testing.h"

namespace lucid::sbom {
namespace {

// What dpkg says: -1, 0 or 1.
int dpkg_compare(const std::string& a, const std::string& b) {
  if (testing::run({"dpkg", "--compare-versions", a, "lt", b}).exit_code == 0) return -1;
  if (testing::run({"dpkg", "--compare-versions", a, "eq", b}).exit_code == 0) return 0;
  return 1;
}

TEST(DebianVersion, AgreesWithDpkgOnManyPairs) {
  if (!testing::have_program("dpkg")) GTEST_SKIP() << "dpkg not on PATH";
  const std::vector<std::string> versions = {"0",
                                             "0.1",
                                             "1.0",
                                             "1.0-1",
                                             "1.0-1.1",
                                             "1.0-2",
                                             "1.0~rc1",
                                             "1.0~rc1-1",
                                             "1.0~~",
                                             "1.0~",
                                             "1.0+b1",
                                             "1.0.0",
                                             "1.00",
                                             "1:0.1",
                                             "2:0",
                                             "1.2.3a",
                                             "1.2.3b",
                                             "1.2.3-0ubuntu1",
                                             "1.2.10",
                                             "1.2.9",
                                             "1.2.3+dfsg-1",
                                             "1.2.3+dfsg-1+deb12u1",
                                             "1.2.3+dfsg-1~bpo11+1",
                                             "1.2.1-2.2+wheezy3",
                                             "1.6.2-1",
                                             "2.36-9+deb12u4",
                                             "2.36-9+deb12u10",
                                             "2.36-9",
                                             "3.0.11-1~deb12u2",
                                             "3.0.11-1",
                                             "10",
                                             "9",
                                             "a1",
                                             "1.0a",
                                             "1.0.a",
                                             "1.0-a",
                                             "0:1.0",
                                             "1.0-0",
                                             "7.88.1-10+deb12u5",
                                             "1:2.39.2-1.1",
                                             "2.39.5-0+deb12u1"};
  int checked = 0;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    for (std::size_t j = i; j < versions.size(); ++j) {
      const auto& a = versions[i];
      const auto& b = versions[j];
      if (!parse_debian_version(a) || !parse_debian_version(b)) continue;
      int want = dpkg_compare(a, b);
      ASSERT_EQ(compare_debian_versions(a, b), want) << a << " vs " << b;
      ASSERT_EQ(compare_debian_versions(b, a), -want) << b << " vs " << a;
      ++checked;
    }
  }
  std::printf("compared %d pairs with dpkg --compare-versions\n", checked);
  EXPECT_GT(checked, 700);
}

TEST(DebianVersion, AgreesWithDpkgOnInstalledPackageVersions) {
  if (!testing::have_program("dpkg-query")) GTEST_SKIP() << "dpkg-query not on PATH";
  auto r = testing::run({"dpkg-query", "-W", "-f=${Version}\n"});
  ASSERT_EQ(r.exit_code, 0);
  std::vector<std::string> versions;
  std::size_t pos = 0;
  while (pos < r.out.size() && versions.size() < 60) {
    auto nl = r.out.find('\n', pos);
    std::string v = r.out.substr(pos, nl - pos);
    pos = nl + 1;
    if (!v.empty() && (versions.empty() || versions.back() != v)) versions.push_back(v);
  }
  for (std::size_t i = 0; i + 1 < versions.size(); ++i) {
    ASSERT_TRUE(parse_debian_version(versions[i])) << versions[i];
    ASSERT_EQ(compare_debian_versions(versions[i], versions[i + 1]),
              dpkg_compare(versions[i], versions[i + 1]))
        << versions[i] << " vs " << versions[i + 1];
  }
}

TEST(DebianVersion, ParsesPartsAndRefusesBadInput) {
  auto v = parse_debian_version("1:2.36-9+deb12u4");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->epoch, 1);
  EXPECT_EQ(v->upstream, "2.36");
  EXPECT_EQ(v->revision, "9+deb12u4");
  auto dashed = parse_debian_version("1.0-beta-3");
  ASSERT_TRUE(dashed);
  EXPECT_EQ(dashed->upstream, "1.0-beta");
  EXPECT_FALSE(parse_debian_version(""));
  EXPECT_FALSE(parse_debian_version("x:1.0"));
  EXPECT_FALSE(parse_debian_version("1.0-"));
  EXPECT_FALSE(parse_debian_version("abc"));
  EXPECT_FALSE(parse_debian_version("1.0 2"));
}

TEST(SemVer, PrecedenceFromTheSpec) {
  const std::vector<std::string> ordered = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                            "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                                            "1.0.1",        "1.2.0",         "1.10.0",           "2.0.0"};
  for (std::size_t i = 0; i < ordered.size(); ++i)
    for (std::size_t j = 0; j < ordered.size(); ++j) {
      auto a = parse_semver(ordered[i]);
      auto b = parse_semver(ordered[j]);
      ASSERT_TRUE(a && b) << ordered[i] << " " << ordered[j];
      int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(compare_semver(*a, *b), want) << ordered[i] << " vs " << ordered[j];
    }
  EXPECT_EQ(compare_semver(*parse_semver("v1.6.0"), *parse_semver("1.6.0+build.5")), 0);
  EXPECT_FALSE(parse_semver("1.x"));
  EXPECT_FALSE(parse_semver("1.2.3.4"));
}

TEST(Purl, BuildsDebianPurlsAndParsesBack) {
  Purl p = debian_purl("libc6", "2.36-9+deb12u4", "amd64");
  EXPECT_EQ(p.str(), "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12");
  EXPECT_EQ(debian_purl("git", "1:2.39.2-1.1", "amd64").str(),
            "pkg:deb/debian/git@1%3A2.39.2-1.1?arch=amd64&distro=debian-12");
  auto back = parse_purl("pkg:deb/debian/git@1%3A2.39.2-1.1?distro=debian-12&arch=amd64");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->version, "1:2.39.2-1.1");
  EXPECT_EQ(back->qualifiers.at("distro"), "debian-12");
  EXPECT_EQ(back->base(), "pkg:deb/debian/git");
  auto go = parse_purl("pkg:golang/github.com/gin-gonic/gin@v1.5.0");
  ASSERT_TRUE(go);
  EXPECT_EQ(go->namespace_, "github.com/gin-gonic");
  EXPECT_EQ(go->name, "gin");
  EXPECT_FALSE(parse_purl("deb/debian/x"));
  EXPECT_FALSE(parse_purl("pkg:deb"));
}

TEST(ImageRef, ParsesRegistryRepositoryTagDigest) {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = oci::parse_image_ref("127.0.0.1:5000/lucid/beta:0.1@" + d);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->registry, "127.0.0.1:5000");
  EXPECT_EQ(r->repository, "lucid/beta");
  EXPECT_EQ(r->tag, "0.1");
  EXPECT_EQ(r->digest, d);
  EXPECT_EQ(r->name(), "127.0.0.1:5000/lucid/beta");
  auto plain = oci::parse_image_ref("lucid/beta");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->registry, "");
  EXPECT_FALSE(oci::parse_image_ref("x@sha256:abc"));
  EXPECT_FALSE(oci::parse_image_ref("Upper/case"));
}

}  // namespace
}  // namespace lucid::sbom
