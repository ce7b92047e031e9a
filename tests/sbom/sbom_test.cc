// SPDX SBOMs: generation from the real dpkg database (owners cross-checked with `dpkg -S`),
// determinism, the SPDX 2.3 schema's required shape, parsing the SPDX example, and the inclusion
// matrix of deploy/policies against generated SBOMs.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/sbom/dpkg_db.h"
#include "lucid/sbom/inclusion_matrix.h"
#include "lucid/sbom/spdx.h"
#include "testing/testing.h"

namespace lucid::sbom {
namespace {

namespace fs = std::filesystem;

// The package `dpkg -S` names for `path` ("" when none).
std::string dpkg_owner(const std::string& path) {
  auto r = testing::run({"dpkg", "-S", path});
  if (r.exit_code != 0) return "";
  auto colon = r.out.find(':');
  std::string name = r.out.substr(0, colon);
  if (auto c = name.find(':'); c != std::string::npos) name = name.substr(0, c);
  return name;
}

const DpkgDatabase& host_db() {
  static DpkgDatabase db = [] {
    auto d = DpkgDatabase::load();
    return d ? std::move(*d) : DpkgDatabase::from_parts({}, {});
  }();
  return db;
}

TEST(Spdx, GeneratesFromTheRealDpkgDatabase) {
  if (!testing::have_program("dpkg-query") || !fs::exists("/var/lib/dpkg/info"))
    GTEST_SKIP() << "no dpkg database on this machine";
  ASSERT_GT(host_db().packages().size(), 50u);
  const std::vector<std::string> files = {"/usr/bin/dpkg", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/bin/ls",
                                          "/usr/bin/lucid-not-a-debian-file"};
  ImageContents image{"127.0.0.1:5000/lucid/beta",
                      "sha256:" + std::string(64, 'c'),
                      {{"betad", "0.1.0", std::string(64, 'd')}},
                      files,
                      "2026-01-02T03:04:05Z",
                      "debian-12"};
  auto sbom = generate_spdx(image, host_db());
  ASSERT_TRUE(sbom) << sbom.error().message;
  EXPECT_EQ(sbom->unowned_files, std::vector<std::string>{"/usr/bin/lucid-not-a-debian-file"});
  EXPECT_TRUE(check_spdx_shape(sbom->json).empty());

  auto parsed = parse_spdx(sbom->json);
  ASSERT_TRUE(parsed) << parsed.error().message;
  std::set<std::string> names;
  for (const auto& p : parsed->packages) names.insert(p.name);
  for (const auto& f : files) {
    std::string owner = dpkg_owner(f);
    if (!owner.empty()) {
      EXPECT_TRUE(names.contains(owner)) << f << " is owned by " << owner << " per dpkg -S";
    }
  }
  EXPECT_TRUE(names.contains("betad"));
  // Every Debian package has a purl with its installed version and arch.
  auto r = testing::run({"dpkg-query", "-W", "-f=${Version} ${Architecture}", "dpkg"});
  ASSERT_EQ(r.exit_code, 0);
  std::string version = r.out.substr(0, r.out.find(' '));
  std::string arch = r.out.substr(r.out.find(' ') + 1);
  bool found = false;
  for (const auto& p : parsed->packages)
    if (p.name == "dpkg") {
      found = true;
      EXPECT_EQ(p.purl, "pkg:deb/debian/dpkg@" + version + "?arch=" + arch + "&distro=debian-12");
    }
  EXPECT_TRUE(found);
  EXPECT_TRUE(parsed->document_namespace.starts_with("https://lucid.invalid/spdx/"));
}

TEST(Spdx, OutputIsDeterministicAndNamespaceFollowsContent) {
  auto db = DpkgDatabase::from_parts({{"tor", "0.4.7.16-1", "amd64"}, {"libc6", "2.36-9+deb12u4", "amd64"}},
                                     {{"tor", {"/usr/bin/tor", "/usr/share/doc/tor"}},
                                      {"libc6:amd64", {"/usr/lib/x86_64-linux-gnu/libc.so.6"}}});
  ImageContents a{
      "lucid/beta", "", {{"betad", "0.1.0", ""}}, {"/usr/lib/x86_64-linux-gnu/libc.so.6", "/bin/tor"}};
  ImageContents b = a;
  std::reverse(b.files.begin(), b.files.end());
  auto sa = generate_spdx(a, db);
  auto sb = generate_spdx(b, db);
  ASSERT_TRUE(sa && sb);
  EXPECT_EQ(sa->json, sb->json);  // file order does not matter; /bin/tor found through /usr merge
  EXPECT_NE(sa->json.find("pkg:deb/debian/tor@0.4.7.16-1?arch=amd64&distro=debian-12"), std::string::npos);
  b.binaries[0].version = "0.1.1";
  auto sc = generate_spdx(b, db);
  ASSERT_TRUE(sc);
  EXPECT_NE(parse_spdx(sa->json)->document_namespace, parse_spdx(sc->json)->document_namespace);
}

TEST(Spdx, ShapeCheckFindsMissingRequiredFields) {
  EXPECT_FALSE(check_spdx_shape("[]").empty());
  auto problems = check_spdx_shape(
      R"({"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0",)"
      R"("creationInfo":{"created":"2020-01-01T00:00:00Z"},"packages":[{"SPDXID":"SPDXRef-a","name":"a",)"
      R"("externalRefs":[{"referenceCategory":"BOGUS","referenceType":"purl","referenceLocator":"pkg:x/y"}]}],)"
      R"("relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES"}]})");
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_NE(all.find("document: missing required documentNamespace"), std::string::npos) << all;
  EXPECT_NE(all.find("creationInfo: missing required creators"), std::string::npos) << all;
  EXPECT_NE(all.find("packages[0]: missing required downloadLocation"), std::string::npos) << all;
  EXPECT_NE(all.find("bad referenceCategory"), std::string::npos) << all;
  EXPECT_NE(all.find("relationships[0]: missing required relatedSpdxElement"), std::string::npos) << all;
}

TEST(Spdx, ParsesTheSpdxExampleAndMatchesTheSchemaRequiredLists) {
  auto v = testing::shared_vectors_dir();
  if (!v || !fs::exists(*v / "osv" / "sbom"))
    GTEST_SKIP() << "OSV/SBOM vectors absent (../shared/vectors/osv)";
  std::string example = *read_text_file(*v / "osv" / "sbom" / "SPDXJSONExample-v2.3.spdx.json");
  EXPECT_TRUE(check_spdx_shape(example).empty());
  auto s = parse_spdx(example);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->packages.size(), 4u);
  EXPECT_EQ(s->packages[2].name, "Jena");
  EXPECT_EQ(s->packages[2].purl, "pkg:maven/org.apache.jena/apache-jena@3.12.0");
  // CycloneDX is not SPDX.
  EXPECT_FALSE(parse_spdx(*read_text_file(*v / "osv" / "sbom" / "cyclonedx-valid-bom-1.5.json")));

  // The schema's own `required` lists are the ones check_spdx_shape enforces.
  auto schema = nlohmann::json::parse(*read_text_file(*v / "osv" / "schemas" / "spdx-2.3-schema.json"));
  auto doc = nlohmann::json::parse(example);
  for (const auto& field : schema["required"]) {
    auto copy = doc;
    copy.erase(field.get<std::string>());
    EXPECT_FALSE(check_spdx_shape(copy.dump()).empty()) << "missing " << field;
  }
  for (const auto& field : schema["properties"]["packages"]["items"]["required"]) {
    auto copy = doc;
    copy["packages"][0].erase(field.get<std::string>());
    EXPECT_FALSE(check_spdx_shape(copy.dump()).empty()) << "package missing " << field;
  }
  for (const auto& field : schema["properties"]["creationInfo"]["required"]) {
    auto copy = doc;
    copy["creationInfo"].erase(field.get<std::string>());
    EXPECT_FALSE(check_spdx_shape(copy.dump()).empty()) << "creationInfo missing " << field;
  }
}

fs::path deploy_dir() {
  return testing::project_vectors_dir().parent_path().parent_path() / "deploy";
}

TEST(InclusionMatrix, ReadsThePolicyAndReportsMissingComponents) {
  auto matrix = load_inclusion_matrix(deploy_dir() / "policies" / "inclusion-matrix.yaml");
  ASSERT_TRUE(matrix) << matrix.error().message;
  ASSERT_TRUE(matrix->containers.contains("beta"));
  ASSERT_TRUE(matrix->containers.contains("node-worker"));
  EXPECT_EQ(matrix->containers.at("beta").must.size(), 6u);

  auto db = DpkgDatabase::from_parts(
      {{"tor", "0.4.7.16-1", "amd64"}, {"libnftables1", "1.0.6-2+deb12u2", "amd64"}},
      {{"tor", {"/usr/bin/tor"}}, {"libnftables1:amd64", {"/usr/lib/libnftables.so.1"}}});
  ImageContents beta{
      "lucid/beta", "", {{"betad", "0.1.0", ""}}, {"/usr/bin/tor", "/usr/lib/libnftables.so.1"}};
  auto complete = parse_spdx(generate_spdx(beta, db)->json);
  ASSERT_TRUE(complete);
  EXPECT_TRUE(check_inclusion(*matrix, "beta", *complete, "lucid/beta").empty());

  beta.files = {"/usr/lib/libnftables.so.1"};  // no tor
  auto no_tor = parse_spdx(generate_spdx(beta, db)->json);
  auto findings = check_inclusion(*matrix, "beta", *no_tor, "lucid/beta");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].level, InclusionFinding::Level::kError);
  EXPECT_EQ(findings[0].component, "tor");
  EXPECT_NE(findings[0].message.find("lucid/beta: inclusion: must-include component tor"), std::string::npos)
      << findings[0].message;

  // node-worker with only the worker binary: xrdp and ffmpeg missing (errors); should-items present.
  ImageContents worker{"lucid/node-worker", "", {{"lucid-node-worker", "0.1.0", ""}}, {}};
  auto w = parse_spdx(generate_spdx(worker, db)->json);
  auto wf = check_inclusion(*matrix, "node-worker", *w, "lucid/node-worker");
  std::set<std::string> missing;
  for (const auto& f : wf) missing.insert(f.component);
  EXPECT_EQ(missing, (std::set<std::string>{"xrdp", "ffmpeg"}));
  // An image with nothing: should-include components are warnings.
  ImageContents empty{"lucid/node-worker", "", {}, {}};
  auto e = parse_spdx(generate_spdx(empty, db)->json);
  int warnings = 0;
  for (const auto& f : check_inclusion(*matrix, "node-worker", *e, "x"))
    warnings += f.level == InclusionFinding::Level::kWarning;
  EXPECT_EQ(warnings, 2);
  EXPECT_TRUE(check_inclusion(*matrix, "no-such-container", *e, "x").empty());
}

TEST(InclusionMatrix, RefusesMalformedEntries) {
  auto bad = parse_inclusion_matrix(
      "containers:\n  beta:\n    must:\n      - id: tor\n        sbom: [\"rpm:tor\"]\n", "m.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("m.yaml:5"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_inclusion_matrix("containers:\n  beta:\n    must:\n      - description: x\n", "m.yaml"));
}

}  // namespace
}  // namespace lucid::sbom
