// OSV advisories: parsing the real OSV vectors, ECOSYSTEM (Debian:12) and SEMVER range evaluation,
// purl-keyed advisories, the index at scale, and waivers (reason, package, images, expiry).
#include <gtest/gtest.h>

#include "lucid/base/files.h"
#include "lucid/sbom/advisory_match.h"
#include "lucid/sbom/osv.h"
#include "lucid/sbom/waivers.h"
#include "testing/testing.h"

namespace lucid::sbom {
namespace {

namespace fs = std::filesystem;

OsvAdvisory debian_advisory(std::string id, std::string name, std::string fixed,
                            std::string eco = "Debian:12") {
  OsvAdvisory a;
  a.id = std::move(id);
  OsvAffected af;
  af.ecosystem = std::move(eco);
  af.name = std::move(name);
  af.ranges.push_back(
      {"ECOSYSTEM", {{OsvEvent::Kind::kIntroduced, "0"}, {OsvEvent::Kind::kFixed, std::move(fixed)}}});
  a.affected.push_back(std::move(af));
  return a;
}

SbomPackage deb(const std::string& name, const std::string& version) {
  return {"SPDXRef-" + name, name, version,
          "pkg:deb/debian/" + name + "@" + version + "?arch=amd64&distro=debian-12"};
}

TEST(Osv, ParsesTheRealAdvisories) {
  auto v = testing::shared_vectors_dir();
  if (!v || !fs::exists(*v / "osv" / "advisories"))
    GTEST_SKIP() << "OSV vectors absent (../shared/vectors/osv)";
  auto all = load_osv_dir(*v / "osv" / "advisories");
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 4u);
  const OsvAdvisory* dsa = nullptr;
  const OsvAdvisory* go = nullptr;
  for (const auto& a : *all) {
    if (a.id == "DSA-3029-1") dsa = &a;
    if (a.id == "GO-2020-0001") go = &a;
  }
  ASSERT_TRUE(dsa && go);
  EXPECT_EQ(dsa->aliases, std::vector<std::string>{"CVE-2014-3616"});
  ASSERT_EQ(dsa->affected.size(), 1u);
  EXPECT_EQ(dsa->affected[0].ecosystem, "Debian:7");
  EXPECT_EQ(dsa->affected[0].ranges[0].events[1].version, "1.2.1-2.2+wheezy3");

  AdvisoryIndex index(*all);
  // Debian:7 nginx: the advisory's own ecosystem; matched for a wheezy package before the fix only.
  SbomPackage old_nginx{"n", "nginx", "1.2.1-2.2+wheezy2",
                        "pkg:deb/debian/nginx@1.2.1-2.2+wheezy2?arch=amd64&distro=debian-7"};
  SbomPackage fixed_nginx{"n", "nginx", "1.2.1-2.2+wheezy3",
                          "pkg:deb/debian/nginx@1.2.1-2.2+wheezy3?arch=amd64&distro=debian-7"};
  ASSERT_EQ(index.match(old_nginx).size(), 1u);
  EXPECT_TRUE(index.match(fixed_nginx).empty());
  EXPECT_TRUE(index.match(deb("nginx", "1.2.1-2.2+wheezy2")).empty())
      << "Debian:12 package vs Debian:7 advisory";
  // Go SEMVER range [0, 1.6.0).
  SbomPackage gin{"g", "gin", "v1.5.0", "pkg:golang/github.com/gin-gonic/gin@v1.5.0"};
  auto m = index.match(gin);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].advisory_id, "GO-2020-0001");
  EXPECT_TRUE(
      index.match(SbomPackage{"g", "gin", "v1.6.0", "pkg:golang/github.com/gin-gonic/gin@v1.6.0"}).empty());
  // GIT-only advisory (CVE-2023-41045) matches nothing and does not crash.
  EXPECT_FALSE(parse_osv("{}", "x.json"));
  EXPECT_FALSE(parse_osv("[", "x.json"));
}

TEST(Osv, DebianRangesUseDpkgOrdering) {
  AdvisoryIndex index({debian_advisory("DEBIAN-CVE-1", "libfoo1", "1.2.3-1+deb12u1")});
  EXPECT_EQ(index.match(deb("libfoo1", "1.2.3-1")).size(), 1u);
  EXPECT_EQ(index.match(deb("libfoo1", "1.2.3-1~bpo11+1")).size(), 1u);  // ~ sorts before
  EXPECT_TRUE(index.match(deb("libfoo1", "1.2.3-1+deb12u1")).empty());
  EXPECT_TRUE(index.match(deb("libfoo1", "1.2.3-1+deb12u10")).empty());  // numeric, not lexical
  EXPECT_TRUE(index.match(deb("libfoo1", "1:1.0-1")).empty());           // epoch wins
  EXPECT_TRUE(index.match(deb("libfoo2", "1.0")).empty());

  OsvRange last{"ECOSYSTEM",
                {{OsvEvent::Kind::kIntroduced, "2.0"}, {OsvEvent::Kind::kLastAffected, "2.4-1"}}};
  EXPECT_EQ(in_range(last, "Debian:12", "1.9"), false);
  EXPECT_EQ(in_range(last, "Debian:12", "2.0"), true);
  EXPECT_EQ(in_range(last, "Debian:12", "2.4-1"), true);
  EXPECT_EQ(in_range(last, "Debian:12", "2.4-2"), false);
  // Two intervals in one range: [1.0, 1.5) and [2.0, 2.2).
  OsvRange two{"SEMVER",
               {{OsvEvent::Kind::kIntroduced, "2.0.0"},
                {OsvEvent::Kind::kFixed, "2.2.0"},
                {OsvEvent::Kind::kIntroduced, "1.0.0"},
                {OsvEvent::Kind::kFixed, "1.5.0"}}};
  EXPECT_EQ(in_range(two, "npm", "1.4.9"), true);
  EXPECT_EQ(in_range(two, "npm", "1.5.0"), false);
  EXPECT_EQ(in_range(two, "npm", "1.9.0"), false);
  EXPECT_EQ(in_range(two, "npm", "2.1.0"), true);
  EXPECT_EQ(in_range(two, "npm", "0.9.0"), false);
}

TEST(Osv, PurlKeyedAndVersionListedAdvisories) {
  OsvAdvisory a;
  a.id = "LUCID-2026-1";
  OsvAffected af;
  af.purl = "pkg:generic/lucid/betad";
  af.versions = {"0.1.0"};
  a.affected.push_back(af);
  OsvAdvisory w = debian_advisory("WITHDRAWN-1", "libfoo1", "9");
  w.withdrawn = "2024-01-01T00:00:00Z";
  AdvisoryIndex index({a, w});
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.match(SbomPackage{"b", "betad", "0.1.0", "pkg:generic/lucid/betad@0.1.0"}).size(), 1u);
  EXPECT_TRUE(index.match(SbomPackage{"b", "betad", "0.1.1", "pkg:generic/lucid/betad@0.1.1"}).empty());
  EXPECT_TRUE(index.match(deb("libfoo1", "1.0")).empty());
}

// Issue 12 item 2: matching fails closed. A package whose version or purl cannot be read is a match
// (undecidable, so blocking unless waived), never "not affected".
TEST(Osv, UnreadableVersionsAndPurlsAreFindingsNotSilence) {
  AdvisoryIndex index({debian_advisory("DEBIAN-CVE-7", "libfoo1", "1.2.3-1+deb12u1")});
  // dpkg refuses these versions ("!" is not allowed; an upstream must start with a digit).
  for (const char* bad : {"1.2!3-1", "abc-1"}) {
    auto m = index.match(deb("libfoo1", bad));
    ASSERT_EQ(m.size(), 1u) << bad;
    EXPECT_TRUE(m[0].undecidable) << bad;
    EXPECT_EQ(m[0].advisory_id, "DEBIAN-CVE-7");
    EXPECT_NE(m[0].reason.find("cannot be compared"), std::string::npos) << m[0].reason;
  }
  // A readable version outside the range is still "not affected", and one inside is a plain match.
  EXPECT_TRUE(index.match(deb("libfoo1", "1.2.3-1+deb12u1")).empty());
  auto in = index.match(deb("libfoo1", "1.0-1"));
  ASSERT_EQ(in.size(), 1u);
  EXPECT_FALSE(in[0].undecidable);
  // No version at all (neither in the purl nor in the SBOM entry).
  auto none =
      index.match(SbomPackage{"x", "libfoo1", "", "pkg:deb/debian/libfoo1?arch=amd64&distro=debian-12"});
  ASSERT_EQ(none.size(), 1u);
  EXPECT_TRUE(none[0].undecidable);
  EXPECT_NE(none[0].reason.find("no version"), std::string::npos) << none[0].reason;
  // An unparseable purl cannot be ruled out against anything.
  for (const char* bad :
       {"deb/debian/libfoo1@1.0", "pkg:deb", "pkg:deb/debian/libfoo1@1.0?arch", "pkg:deb/x/%zz@1"}) {
    auto m = index.match(SbomPackage{"x", "libfoo1", "1.0", bad});
    ASSERT_EQ(m.size(), 1u) << bad;
    EXPECT_EQ(m[0].advisory_id, kUnreadablePurl) << bad;
    EXPECT_TRUE(m[0].undecidable);
  }
  // Nothing to match against: no advisory can apply, so no finding; no purl (the image's own entry):
  // no ecosystem to match in.
  EXPECT_TRUE(AdvisoryIndex({}).match(SbomPackage{"x", "libfoo1", "1.0", "not a purl"}).empty());
  EXPECT_TRUE(index.match(SbomPackage{"SPDXRef-image", "img", "sha256:00", ""}).empty());
  // An advisory whose own range cannot be read leaves the question open too.
  AdvisoryIndex broken({debian_advisory("DEBIAN-CVE-8", "libbar1", "not!a!version")});
  auto b = broken.match(deb("libbar1", "1.0-1"));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0].undecidable);
  // Undecidable matches block like open ones (a waiver naming the advisory can still waive them).
  auto findings = apply_waivers(index.match(deb("libfoo1", "abc-1")), {}, "img", "2026-01-01");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_TRUE(findings[0].blocks());
  EXPECT_NE(findings[0].message("img").find("taken as affected"), std::string::npos)
      << findings[0].message("img");
  EXPECT_EQ(in_range({"ECOSYSTEM", {{OsvEvent::Kind::kIntroduced, "0"}, {OsvEvent::Kind::kFixed, "2-1"}}},
                     "Debian:12", "x!y"),
            std::nullopt);
}

TEST(Osv, ThousandPackagesAgainstTenThousandAdvisories) {
  std::vector<OsvAdvisory> advisories;
  for (int i = 0; i < 10000; ++i)
    advisories.push_back(debian_advisory("DEBIAN-CVE-" + std::to_string(i), "pkg" + std::to_string(i % 2500),
                                         "1." + std::to_string(i % 7) + "-1"));
  AdvisoryIndex index(std::move(advisories));
  std::vector<SbomPackage> packages;
  for (int i = 0; i < 1000; ++i) packages.push_back(deb("pkg" + std::to_string(i * 3), "1.3-1"));
  auto t0 = std::chrono::steady_clock::now();
  auto matches = index.match(packages);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  // Brute force for the expected count: package i*3 (< 2500) meets advisories j with j%2500 == i*3, and
  // version 1.3-1 is affected when 1.3-1 < 1.(j%7)-1, i.e. j%7 > 3.
  std::size_t want = 0;
  for (int i = 0; i < 1000; ++i)
    for (int j = i * 3; j < 10000 && i * 3 < 2500; j += 2500) want += (j % 7) > 3;
  EXPECT_EQ(matches.size(), want);
  std::printf("matched 1000 packages against 10000 advisories in %.2f ms (%zu matches)\n", ms,
              matches.size());
  EXPECT_LT(ms, 2000.0);
}

TEST(Waivers, ParseApplyAndExpire) {
  auto ws = parse_waivers(R"(waivers:
  - id: DEBIAN-CVE-1
    package: pkg:deb/debian/libfoo1
    reason: not reachable
    expires: 2026-06-30
  - id: CVE-2014-3616
    package: pkg:deb/debian/nginx
    images: [edge]
    reason: alias waiver
    expires: 2020-01-01
)",
                          "waivers.yaml");
  ASSERT_TRUE(ws) << ws.error().message;
  ASSERT_EQ(ws->size(), 2u);
  AdvisoryMatch foo{"DEBIAN-CVE-1", deb("libfoo1", "1.0-1").purl, "libfoo1", "1.0-1", "r"};
  auto f = apply_waivers({foo}, *ws, "beta", "2026-06-30");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].state, AdvisoryFinding::State::kWaived);
  EXPECT_FALSE(f[0].blocks());
  EXPECT_NE(f[0].message("beta").find("waived until 2026-06-30: not reachable"), std::string::npos);
  auto later = apply_waivers({foo}, *ws, "beta", "2026-07-01");
  EXPECT_EQ(later[0].state, AdvisoryFinding::State::kWaiverExpired);
  EXPECT_TRUE(later[0].blocks());
  EXPECT_NE(later[0].message("beta").find("expired on 2026-06-30"), std::string::npos)
      << later[0].message("beta");
  AdvisoryMatch other{"DEBIAN-CVE-2", foo.purl, "libfoo1", "1.0-1", "r"};
  EXPECT_EQ(apply_waivers({other}, *ws, "beta", "2026-01-01")[0].state, AdvisoryFinding::State::kOpen);

  // Alias + images: the nginx waiver names the CVE alias and only the `edge` image; it expired.
  OsvAdvisory dsa = debian_advisory("DSA-3029-1", "nginx", "1.2.1-2.2+wheezy3");
  dsa.aliases = {"CVE-2014-3616"};
  std::vector<OsvAdvisory> adv{dsa};
  AdvisoryMatch ng{"DSA-3029-1", deb("nginx", "1.0").purl, "nginx", "1.0", "r"};
  EXPECT_EQ(apply_waivers({ng}, *ws, "edge", "2019-12-31", &adv)[0].state, AdvisoryFinding::State::kWaived);
  EXPECT_EQ(apply_waivers({ng}, *ws, "beta", "2019-12-31", &adv)[0].state, AdvisoryFinding::State::kOpen);
  EXPECT_EQ(apply_waivers({ng}, *ws, "edge", "2020-01-02", &adv)[0].state,
            AdvisoryFinding::State::kWaiverExpired);

  EXPECT_FALSE(parse_waivers("waivers:\n  - id: X\n    package: p\n    reason: r\n    expires: 31.12.2026\n",
                             "w.yaml"));
  auto missing = parse_waivers("waivers:\n  - id: X\n    package: p\n    expires: 2026-01-01\n", "w.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("w.yaml:2"), std::string::npos) << missing.error().message;
  EXPECT_EQ(utc_today().size(), 10u);
}

TEST(Waivers, ThePolicyFileParses) {
  auto ws = load_waivers(testing::project_vectors_dir().parent_path().parent_path() / "deploy" / "policies" /
                         "waivers.yaml");
  ASSERT_TRUE(ws) << ws.error().message;
}

}  // namespace
}  // namespace lucid::sbom
