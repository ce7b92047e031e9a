// Issue 12 items 2 and 3 end to end, on the real Docker engine, real docker-registry processes and a
// local bare git remote with SSH-signed commits: what the image check refuses (a verdict: the commit is
// marked bad) and what it only cannot decide yet (the mirror's state or faults: the pass fails, the
// commit is not marked, and the next pass promotes it once the mirror serves it, without --retry).
//
// Two registries stand for the build's registry ("origin") and a site's mirror; replication is copying
// manifests and blobs through the registry API, in the order a sync may do it (image before its
// signature and attestation). A FaultyMirror (tests/testing/registry.h) in front of the mirror answers
// chosen paths with 503 or 429.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gitsig/ssh_tools.h"
#include "lucid/base/base64.h"
#include "lucid/base/http_client.h"
#include "lucid/engine/compose_apply.h"
#include "lucid/engine/containers.h"
#include "lucid/engine/docker_client.h"
#include "lucid/engine/labels.h"
#include "lucid/oci/image_signature.h"
#include "lucid/oci/oci_manifest.h"
#include "lucid/oci/sbom_attachment.h"
#include "lucid/reconcile/image_check.h"
#include "lucid/reconcile/reconciler.h"
#include "signed_config_repo.h"
#include "testing/docker.h"
#include "testing/registry.h"

using namespace lucid;
using namespace std::chrono_literals;
namespace lt = lucid::testing;
namespace oci = lucid::oci;
namespace fs = std::filesystem;

namespace {

constexpr const char* kVulnerable = "pkg:deb/debian/libvuln1@1.0-1?arch=amd64&distro=debian-12";
constexpr const char* kHarmless = "pkg:deb/debian/busybox-static@1%3A1.35.0-4?arch=amd64&distro=debian-12";

std::string spdx_with(const std::string& name, const std::vector<std::string>& purls) {
  nlohmann::json pkgs = nlohmann::json::array();
  for (std::size_t i = 0; i < purls.size(); ++i)
    pkgs.push_back({{"SPDXID", fmt::format("SPDXRef-p{}", i)},
                    {"name", fmt::format("p{}", i)},
                    {"downloadLocation", "NOASSERTION"},
                    {"externalRefs",
                     {{{"referenceCategory", "PACKAGE-MANAGER"},
                       {"referenceType", "purl"},
                       {"referenceLocator", purls[i]}}}}});
  return nlohmann::json{{"spdxVersion", "SPDX-2.3"},
                        {"dataLicense", "CC0-1.0"},
                        {"SPDXID", "SPDXRef-DOCUMENT"},
                        {"name", name},
                        {"documentNamespace", "https://lucid.invalid/spdx/" + name},
                        {"creationInfo", {{"created", "1970-01-01T00:00:00Z"}, {"creators", {"Tool: test"}}}},
                        {"packages", pkgs}}
      .dump(2);
}

class ImageFaultsE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = lt::reconcile_e2e_skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    origin_ = std::make_unique<lt::LocalRegistry>();
    mirror_ = std::make_unique<lt::LocalRegistry>();
    for (auto* r : {origin_.get(), mirror_.get()})
      if (auto w = r->start(); !w.empty()) GTEST_SKIP() << w;
    faulty_ = std::make_unique<lt::FaultyMirror>(mirror_->url());
    ASSERT_EQ(faulty_->start(), "");
    static int counter = 0;
    cluster_ = fmt::format("lucidif{}x{}", ::getpid(), ++counter);
    project_ = engine::project_name(cluster_);
    ASSERT_TRUE(docker_.negotiate());

    auto k = oci::PrivateKey::generate();
    ASSERT_TRUE(k);
    image_key_.emplace(std::move(*k));
    fs::create_directories(dir_ / "operator-signers");
    std::ofstream(dir_ / "operator-signers" / "build.pub") << image_key_->public_key().pem();

    repo_.emplace(dir_.path());
    config_ = lt::test_config(cluster_, *repo_, dir_ / "state");
    config_.registry_mirror = mirror_->host();  // Compose pulls from the mirror itself
    config_.image_signers = dir_ / "operator-signers";
    auto store = reconcile::StateStore::open(dir_ / "state.db");
    ASSERT_TRUE(store) << store.error().message;
    store_.emplace(std::move(*store));
    // The image check reads the mirror through the faulty proxy.
    image_check_ = reconcile::registry_image_check(faulty_->url());
  }

  void TearDown() override {
    if (!project_.empty()) lt::remove_project(project_);
    for (const auto& t : local_tags_) lt::docker({"rmi", "-f", t});
  }

  // A busybox image pushed to the origin as lucid/<name>:1, signed with the image key, its SBOM
  // (listing `purls`) attested; the local copies removed so Compose must pull. Returns the digest.
  std::string build_on_origin(const std::string& name, const std::vector<std::string>& purls) {
    const std::string local = fmt::format("{}-{}:1", cluster_, name);
    auto why = lt::build_busybox_image(local, {}, "LABEL com.lucid.test=" + cluster_ + "-" + name + "\n");
    EXPECT_EQ(why, "");
    local_tags_.push_back(local);
    const std::string pushed = fmt::format("{}/lucid/{}:1", origin_->host(), name);
    EXPECT_EQ(lt::docker({"tag", local, pushed}).exit_code, 0);
    auto p = lt::docker({"push", pushed});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    lt::docker({"rmi", pushed});
    oci::RegistryClient origin(origin_->url());
    auto head = origin.head_manifest("lucid/" + name, "1");
    EXPECT_TRUE(head && *head);
    if (!head || !*head) return {};
    std::string digest = (*head)->digest;
    const std::string canonical = "registry.lucid.local:5000/lucid/" + name;
    EXPECT_TRUE(oci::sign_image(origin, "lucid/" + name, digest, canonical, *image_key_));
    auto att =
        oci::attest_sbom(origin, "lucid/" + name, digest, canonical, spdx_with(name, purls), *image_key_);
    EXPECT_TRUE(att) << att.error().message;
    return digest;
  }

  // Replicates one manifest (by digest or tag) and its blobs from the origin to the mirror.
  void replicate(const std::string& name, const std::string& reference) {
    oci::RegistryClient origin(origin_->url()), mirror(mirror_->url());
    const std::string repo = "lucid/" + name;
    auto m = origin.get_manifest(repo, reference);
    ASSERT_TRUE(m) << m.error().message;
    auto parsed = oci::parse_manifest(m->bytes);
    ASSERT_TRUE(parsed);
    std::vector<oci::Descriptor> blobs = parsed->layers;
    blobs.push_back(parsed->config);
    for (const auto& b : blobs) {
      auto bytes = origin.get_blob(repo, b.digest);
      ASSERT_TRUE(bytes) << bytes.error().message;
      ASSERT_TRUE(mirror.push_blob(repo, *bytes));
    }
    ASSERT_TRUE(mirror.put_manifest(repo, reference, m->bytes, m->info.media_type));
  }
  void replicate_image(const std::string& name, const std::string& digest) {
    replicate(name, digest);
    replicate(name, "1");
  }
  void replicate_attachments(const std::string& name, const std::string& digest) {
    replicate(name, oci::cosign_tag(digest, ".sig"));
    replicate(name, oci::cosign_tag(digest, ".att"));
  }

  std::string ref(const std::string& name, const std::string& digest) const {
    return fmt::format("registry.lucid.local:5000/lucid/{}:1@{}", name, digest);
  }

  // Commits a config repo whose `web` runs `image`, with the policies (signer key, matrix, an OSV
  // advisory on libvuln1), and pushes it to the remote's main.
  std::string push(const std::string& image, const std::string& version) {
    auto text = [](const fs::path& p) {
      std::ifstream in(p);
      return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    std::map<std::string, std::string> files;
    files["infrastructure/compose/docker-compose.yml"] = fmt::format(
        "services:\n"
        "  web:\n"
        "    image: {}\n"
        "    profiles: [node]\n"
        "    stop_grace_period: 1s\n"
        "{}"
        "    environment:\n"
        "      LUCID_TEST_ENV: \"{}\"\n"
        "    healthcheck:\n"
        "      test: [\"CMD\", \"/bin/busybox\", \"true\"]\n"
        "      interval: 1s\n"
        "      timeout: 2s\n"
        "      retries: 2\n"
        "{}",  // the plane networks the lint gate requires (planes/internal), as in deploy/
        image, lt::kHardenedService, version, lt::kPlaneNetworks);
    files["clusters/clusters.yaml"] = "version: 1\nclusters:\n  - id: " + cluster_ + "\n";
    files["clusters/" + cluster_ + "/.env"] = "CLUSTER_ID=" + cluster_ + "\nPROFILES=node\n";
    files["policies/allowed_signers"] = "ops@lucid " + repo_->key.public_text + "\n";
    files["policies/signers/build.pub"] = image_key_->public_key().pem();
    files["policies/inclusion-matrix.yaml"] =
        text(fs::path(LUCID_SOURCE_DIR) / "deploy/policies/inclusion-matrix.yaml");
    files["policies/advisories/LUCID-TEST-VULN-1.json"] =
        R"({"id":"LUCID-TEST-VULN-1","summary":"test advisory","affected":[{"package":{"ecosystem":"Debian:12",)"
        R"("name":"libvuln1"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0-2"}]}]}]})";
    return repo_->push({files.begin(), files.end()}, "config " + version);
  }

  reconcile::PassReport pass() {
    reconcile::PlanVerifier verifier(gitsig::TrustRoot{repo_->allowed_signers.string(), std::nullopt},
                                     image_check_);
    auto r = reconcile::reconcile_once(config_, verifier, *store_, docker_);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {};
    std::printf("pass %s -> %s\n", r->commit.substr(0, 12).c_str(),
                std::string(to_string(r->outcome)).c_str());
    for (const auto& why : r->reasons) std::printf("  %s\n", why.c_str());
    return *r;
  }
  static bool mentions(const reconcile::PassReport& r, const std::string& text) {
    for (const auto& why : r.reasons)
      if (why.find(text) != std::string::npos) return true;
    return false;
  }

  std::map<std::string, std::string> running() const {  // service -> container id
    std::map<std::string, std::string> out;
    auto s = engine::list_project(docker_, project_);
    EXPECT_TRUE(s) << s.error().message;
    if (s)
      for (const auto& c : *s) out[c.service] = c.id;
    return out;
  }

  lt::ScratchDir dir_;
  std::unique_ptr<lt::LocalRegistry> origin_, mirror_;
  std::unique_ptr<lt::FaultyMirror> faulty_;
  engine::DockerClient docker_;
  std::string cluster_, project_;
  std::vector<std::string> local_tags_;
  std::optional<oci::PrivateKey> image_key_;
  std::optional<lt::SignedConfigRepo> repo_;
  reconcile::ReconcileConfig config_;
  std::optional<reconcile::StateStore> store_;
  reconcile::ImageCheck image_check_;
};

// Issue 12, shown item 3: the image signature is valid but the SBOM was rewritten to drop the
// vulnerable package. With the statement edited under the original DSSE signature, and with the
// attestation replaced by an unsigned legacy `.sbom`, the commit is refused, marked bad, and nothing
// is applied; the honest attestation is refused for the advisory it was meant to hide.
TEST_F(ImageFaultsE2e, ASwappedSbomIsRefusedAndNothingApplied) {
  const std::string digest = build_on_origin("web", {kVulnerable, kHarmless});
  ASSERT_FALSE(digest.empty());
  replicate_image("web", digest);
  replicate_attachments("web", digest);
  oci::RegistryClient mirror(mirror_->url());

  // The honest SBOM: refused for the advisory.
  std::string honest = push(ref("web", digest), "1");
  auto r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  EXPECT_TRUE(mentions(r, "LUCID-TEST-VULN-1")) << "the advisory is what the swap would hide";

  // Swapped: the statement without libvuln1, the original signature kept.
  auto envs = oci::fetch_attestations(mirror, "lucid/web", digest);
  ASSERT_TRUE(envs);
  auto env = nlohmann::json::parse(envs->at(0));
  auto raw = base64_decode(env["payload"].get<std::string>());
  ASSERT_TRUE(raw);
  auto st = nlohmann::json::parse(std::string(raw->begin(), raw->end()));
  auto& pkgs = st["predicate"]["packages"];
  pkgs.erase(std::remove_if(pkgs.begin(), pkgs.end(),
                            [](const nlohmann::json& p) {
                              return p["externalRefs"][0]["referenceLocator"] == kVulnerable;
                            }),
             pkgs.end());
  ASSERT_EQ(pkgs.size(), 1u);
  std::string payload = st.dump();
  env["payload"] = base64_encode({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
  std::string swapped = env.dump();
  oci::Descriptor layer = oci::describe(oci::kDsseEnvelopeMediaType, swapped);
  layer.annotations["predicateType"] = std::string(oci::kSpdxPredicateType);
  layer.annotations["dev.cosignproject.cosign/signature"] = "";
  ASSERT_TRUE(oci::push_artifact(mirror, "lucid/web", oci::cosign_tag(digest, ".att"), {}, layer, swapped));

  std::string c2 = push(ref("web", digest), "2");
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  EXPECT_TRUE(mentions(r, ": sbom: ")) << "refused for the SBOM";
  EXPECT_FALSE(mentions(r, ": signature: ")) << "the image signature itself is valid";
  EXPECT_FALSE(mentions(r, "LUCID-TEST-VULN-1")) << "nothing is read from an SBOM that does not verify";
  EXPECT_TRUE(*store_->is_bad(cluster_, c2));
  EXPECT_TRUE(running().empty()) << "nothing applied";

  // Swapped the old way: no attestation, an unsigned `.sbom` that omits the package.
  auto att = mirror.head_manifest("lucid/web", oci::cosign_tag(digest, ".att"));
  ASSERT_TRUE(att && *att);
  auto del = http_request(
      "DELETE", fmt::format("{}/v2/lucid/web/manifests/{}", mirror_->url(), (*att)->digest), nullptr);
  ASSERT_TRUE(del && del->status == 202) << (del ? del->status : 0);
  std::string clean = spdx_with("web", {kHarmless});
  ASSERT_TRUE(oci::push_artifact(mirror, "lucid/web", oci::cosign_tag(digest, ".sbom"), {},
                                 oci::describe(oci::kSpdxJsonMediaType, clean), clean));
  std::string c3 = push(ref("web", digest), "3");
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "refused");
  EXPECT_TRUE(mentions(r, "unsigned")) << "an unsigned SBOM is refused";
  EXPECT_TRUE(*store_->is_bad(cluster_, c3));
  EXPECT_TRUE(running().empty()) << "nothing applied";
  (void)honest;
}

// Issue 12, shown item 4: a mirror answering 503 (and 429) for the signature and the attestation, a
// digest not yet replicated, and an image replicated before its signature: each pass fails, nothing
// is marked bad or applied; once the mirror serves them the same commit is promoted on the next pass,
// without --retry. A tag that moved meanwhile does not stop it (the image is pulled by digest).
TEST_F(ImageFaultsE2e, MirrorFaultsFailThePassAndTheSameCommitIsPromotedOnceServed) {
  const std::string a = build_on_origin("web", {kHarmless});
  ASSERT_FALSE(a.empty());
  replicate_image("web", a);
  replicate_attachments("web", a);

  std::string c1 = push(ref("web", a), "1");
  for (int status : {503, 429}) {
    for (const char* what : {".sig", ".att"}) {
      faulty_->fail(oci::cosign_tag(a, what), status);
      auto r = pass();
      EXPECT_EQ(to_string(r.outcome), "failed") << what << " " << status;
      EXPECT_TRUE(mentions(r, fmt::format("HTTP {}", status))) << what;
      EXPECT_FALSE(*store_->is_bad(cluster_, c1));
      EXPECT_TRUE(running().empty());
      faulty_->clear();
    }
  }
  EXPECT_EQ(faulty_->faults_served(), 4);
  auto r = pass();
  ASSERT_EQ(to_string(r.outcome), "promoted") << "the same commit, once the mirror serves it";
  EXPECT_EQ(r.commit, c1);
  auto before = running();
  ASSERT_EQ(before.size(), 1u);

  // A new image built on the origin, not yet on the mirror.
  const std::string b = build_on_origin("web2", {kHarmless});
  ASSERT_FALSE(b.empty());
  std::string c2 = push(ref("web2", b), "2");
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "failed");
  EXPECT_TRUE(mentions(r, "not replicated yet")) << "a digest not yet in the mirror is no verdict";
  EXPECT_FALSE(*store_->is_bad(cluster_, c2));
  EXPECT_EQ(running(), before) << "the last-good commit keeps running untouched";

  // Replicated in lag order: the image first, its signature and attestation later.
  replicate_image("web2", b);
  r = pass();
  EXPECT_EQ(to_string(r.outcome), "failed");
  EXPECT_TRUE(mentions(r, "not replicated yet, or never signed")) << "signature lag is no verdict";
  EXPECT_FALSE(*store_->is_bad(cluster_, c2));
  EXPECT_EQ(running(), before);

  replicate_attachments("web2", b);
  // Meanwhile the mirror's tag moved to other content (image A's manifest): a warning, not a verdict.
  oci::RegistryClient mirror(mirror_->url());
  replicate("web", a);
  auto m = mirror.get_manifest("lucid/web", a);
  ASSERT_TRUE(m);
  auto moved = oci::parse_manifest(m->bytes);
  ASSERT_TRUE(moved);
  for (const auto& blob : moved->layers)
    ASSERT_TRUE(mirror.push_blob("lucid/web2", *mirror.get_blob("lucid/web", blob.digest)));
  ASSERT_TRUE(mirror.push_blob("lucid/web2", *mirror.get_blob("lucid/web", moved->config.digest)));
  ASSERT_TRUE(mirror.put_manifest("lucid/web2", "1", m->bytes, m->info.media_type));
  ASSERT_NE((*mirror.head_manifest("lucid/web2", "1"))->digest, b) << "the tag moved";

  r = pass();
  EXPECT_EQ(to_string(r.outcome), "promoted") << "the same commit, without --retry";
  EXPECT_EQ(r.commit, c2);
  EXPECT_FALSE(*store_->is_bad(cluster_, c2));
  EXPECT_EQ(store_->cluster(cluster_)->applied, c2);
  auto now = running();
  ASSERT_EQ(now.size(), 1u);
  auto inspect = lt::docker({"inspect", "-f", "{{.Config.Image}}", now.begin()->second});
  EXPECT_EQ(inspect.out, fmt::format("{}/lucid/web2:1@{}\n", mirror_->host(), b))
      << "pulled by the pinned digest";
}

}  // namespace
