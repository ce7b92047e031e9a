// End to end against Debian's real `docker-registry` (distribution 2.8) on 127.0.0.1, started here
// with a temporary config and storage: push, resolve, sign, verify, attest an SBOM, the refusals, and
// which findings are verdicts on the image and which are only the mirror's state (a FaultyMirror).
#include <functional>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/base/base64.h"
#include "lucid/base/http_client.h"
#include "lucid/imagepolicy/verify_images.h"
#include "lucid/oci/dsse.h"
#include "lucid/oci/image_signature.h"
#include "lucid/oci/oci_manifest.h"
#include "lucid/oci/sbom_attachment.h"
#include "lucid/oci/simple_signing.h"
#include "lucid/sbom/purl.h"
#include "lucid/sbom/spdx.h"
#include "testing/registry.h"
#include "testing/testing.h"

namespace lucid::imagepolicy {
namespace {

// One registry process for the whole suite (the shared LocalRegistry), stopped at the end.
class Registry : public ::testing::Environment {
 public:
  static inline std::string url;
  static inline std::string skip_reason;

  void SetUp() override {
    registry_ = std::make_unique<testing::LocalRegistry>();
    skip_reason = registry_->start();
    url = registry_->url();
  }
  void TearDown() override { registry_.reset(); }

 private:
  std::unique_ptr<testing::LocalRegistry> registry_;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new Registry);

#define REQUIRE_REGISTRY()                                                   \
  if (!Registry::skip_reason.empty()) GTEST_SKIP() << Registry::skip_reason; \
  oci::RegistryClient client(Registry::url)

// A small image we build ourselves: one layer (a tar-like blob) and a config.
std::string push_image(oci::RegistryClient& client, const std::string& repo, const std::string& tag,
                       const std::string& content) {
  std::string layer = "layer:" + content;
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  EXPECT_TRUE(client.push_blob(repo, layer));
  EXPECT_TRUE(client.push_blob(repo, config));
  oci::ImageManifest m;
  m.media_type = std::string(oci::kDockerManifestV2);
  m.config = oci::describe("application/vnd.docker.container.image.v1+json", config);
  m.layers.push_back(oci::describe("application/vnd.docker.image.rootfs.diff.tar.gzip", layer));
  auto d = client.put_manifest(repo, tag, oci::manifest_json(m), oci::kDockerManifestV2);
  EXPECT_TRUE(d) << d.error().message;
  return d ? *d : "";
}

oci::SignerKeys keys_of(const oci::PrivateKey& k) {
  oci::SignerKeys s;
  s.add(k.public_key());
  return s;
}

TEST(Registry, PushResolveAndReadBackVerifiedBytes) {
  REQUIRE_REGISTRY();
  std::string digest = push_image(client, "lucid/beta", "0.1.0", "beta v1");
  ASSERT_FALSE(digest.empty());
  auto head = client.head_manifest("lucid/beta", "0.1.0");
  ASSERT_TRUE(head && *head) << (head ? "404" : head.error().message);
  EXPECT_EQ((*head)->digest, digest);
  EXPECT_EQ((*head)->media_type, oci::kDockerManifestV2);
  auto by_digest = client.get_manifest("lucid/beta", digest);
  ASSERT_TRUE(by_digest) << by_digest.error().message;
  EXPECT_EQ(by_digest->info.digest, digest);
  auto m = oci::parse_manifest(by_digest->bytes);
  ASSERT_TRUE(m);
  auto layer = client.get_blob("lucid/beta", m->layers[0].digest);
  ASSERT_TRUE(layer) << layer.error().message;
  EXPECT_EQ(*layer, "layer:beta v1");
  EXPECT_EQ(client.get_blob("lucid/beta", "sha256:" + std::string(64, '0')).error().kind,
            ErrorKind::kNotFound);
  auto absent = client.head_manifest("lucid/beta", "no-such-tag");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  EXPECT_EQ(client.get_manifest("lucid/none", "x").error().kind, ErrorKind::kNotFound);
}

TEST(Registry, SignVerifyAndTheRefusals) {
  REQUIRE_REGISTRY();
  std::string digest = push_image(client, "lucid/node-worker", "0.1.0", "worker v1");
  ASSERT_FALSE(digest.empty());
  auto key = oci::PrivateKey::generate();
  ASSERT_TRUE(key);
  std::string image = Registry::url.substr(7) + "/lucid/node-worker";

  // Missing signature.
  auto missing = oci::verify_image_signature(client, "lucid/node-worker", digest, keys_of(*key), image);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("signature: none found"), std::string::npos)
      << missing.error().message;

  auto sig_manifest = oci::sign_image(client, "lucid/node-worker", digest, image, *key);
  ASSERT_TRUE(sig_manifest) << sig_manifest.error().message;
  // Stored exactly in cosign's layout.
  auto stored = client.get_manifest("lucid/node-worker", oci::cosign_tag(digest, ".sig"));
  ASSERT_TRUE(stored);
  auto sm = oci::parse_manifest(stored->bytes);
  ASSERT_TRUE(sm);
  ASSERT_EQ(sm->layers.size(), 1u);
  EXPECT_EQ(sm->layers[0].media_type, oci::kSimpleSigningMediaType);
  EXPECT_TRUE(sm->layers[0].annotations.contains(std::string(oci::kCosignSignatureAnnotation)));
  EXPECT_EQ(*client.get_blob("lucid/node-worker", sm->layers[0].digest),
            oci::simple_signing_payload(image, digest));

  auto ok = verify_image_signature(client, "lucid/node-worker", digest, keys_of(*key), image);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->docker_reference, image);

  // A signature by an unknown key.
  auto stranger = oci::PrivateKey::generate();
  auto unknown = verify_image_signature(client, "lucid/node-worker", digest, keys_of(*stranger), image);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kAuthentication);

  // A second signer is appended; either key now verifies.
  ASSERT_TRUE(sign_image(client, "lucid/node-worker", digest, image, *stranger));
  auto sigs = oci::fetch_image_signatures(client, "lucid/node-worker", digest);
  ASSERT_TRUE(sigs);
  EXPECT_EQ(sigs->size(), 2u);
  EXPECT_TRUE(verify_image_signature(client, "lucid/node-worker", digest, keys_of(*stranger), image));
  EXPECT_TRUE(verify_image_signature(client, "lucid/node-worker", digest, keys_of(*key), image));

  // A payload whose digest claim differs: a valid signature over another image's digest, stored
  // under this image's .sig tag.
  std::string other = push_image(client, "lucid/node-worker", "other", "worker other");
  std::string payload = oci::simple_signing_payload(image, other);
  oci::Descriptor layer = oci::describe(oci::kSimpleSigningMediaType, payload);
  layer.annotations[std::string(oci::kCosignSignatureAnnotation)] = base64_encode(
      *key->sign(std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size())));
  std::string target = push_image(client, "lucid/node-worker", "target", "worker target");
  ASSERT_TRUE(
      oci::push_artifact(client, "lucid/node-worker", oci::cosign_tag(target, ".sig"), {}, layer, payload));
  auto claim = verify_image_signature(client, "lucid/node-worker", target, keys_of(*key), image);
  ASSERT_FALSE(claim);
  EXPECT_NE(claim.error().message.find("claims digest " + other), std::string::npos) << claim.error().message;
}

TEST(Registry, RepushUnderThePinnedTagIsCaught) {
  REQUIRE_REGISTRY();
  std::string pinned = push_image(client, "lucid/admin-api", "0.1.0", "admin v1");
  ASSERT_FALSE(pinned.empty());
  EXPECT_TRUE(oci::check_pinned(client, "lucid/admin-api", "0.1.0", pinned));
  std::string repushed = push_image(client, "lucid/admin-api", "0.1.0", "admin EVIL");
  ASSERT_NE(repushed, pinned);
  auto st = oci::check_pinned(client, "lucid/admin-api", "0.1.0", pinned);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::kAuthentication);
  EXPECT_NE(st.error().message.find("re-pushed"), std::string::npos) << st.error().message;
  // By digest, the pinned content is still what it was and verifies byte for byte.
  auto m = client.get_manifest("lucid/admin-api", pinned);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info.digest, pinned);
  // Asking for the pinned digest but getting other bytes would fail the digest check: ask the
  // registry by tag while claiming the pinned digest in our comparison.
  auto by_tag = client.get_manifest("lucid/admin-api", "0.1.0");
  ASSERT_TRUE(by_tag);
  EXPECT_NE(by_tag->info.digest, pinned);
}

// An SPDX document for `image` listing `packages` (purls), as parse_spdx reads it.
std::string spdx_with(const std::string& image, const std::vector<std::string>& purls) {
  nlohmann::json pkgs = nlohmann::json::array();
  int i = 0;
  for (const auto& p : purls) {
    auto parsed = sbom::parse_purl(p);
    pkgs.push_back(
        {{"SPDXID", "SPDXRef-p" + std::to_string(i++)},
         {"name", parsed ? parsed->name : p},
         {"versionInfo", parsed ? parsed->version : ""},
         {"downloadLocation", "NOASSERTION"},
         {"externalRefs",
          {{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", p}}}}});
  }
  return nlohmann::json{{"spdxVersion", "SPDX-2.3"},
                        {"dataLicense", "CC0-1.0"},
                        {"SPDXID", "SPDXRef-DOCUMENT"},
                        {"name", image},
                        {"documentNamespace", "https://lucid.invalid/spdx/test"},
                        {"creationInfo", {{"created", "1970-01-01T00:00:00Z"}, {"creators", {"Tool: test"}}}},
                        {"packages", pkgs}}
      .dump(2);
}

TEST(Registry, SbomAttestationInCosignsLayout) {
  REQUIRE_REGISTRY();
  std::string digest = push_image(client, "lucid/walletd", "0.1.0", "wallet v1");
  auto key = oci::PrivateKey::generate();
  ASSERT_TRUE(key);
  auto none = oci::fetch_attestations(client, "lucid/walletd", digest);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::kNotFound);

  auto db = sbom::DpkgDatabase::from_parts({}, {});
  auto sbom = sbom::generate_spdx(
      sbom::ImageContents{"lucid/walletd", digest, {{"lucid-walletd", "0.1.0", ""}}, {}}, db);
  ASSERT_TRUE(sbom);
  const std::string subject = "registry.lucid.local:5000/lucid/walletd";
  auto attested = oci::attest_sbom(client, "lucid/walletd", digest, subject, sbom->json, *key);
  ASSERT_TRUE(attested) << attested.error().message;

  // cosign's layout: tag sha256-<hex>.att, one DSSE layer with the predicateType annotation and an
  // empty cosign signature annotation (the signature is inside the envelope).
  auto stored = client.get_manifest("lucid/walletd", oci::cosign_tag(digest, ".att"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->info.digest, *attested);
  auto m = oci::parse_manifest(stored->bytes);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].media_type, "application/vnd.dsse.envelope.v1+json");
  EXPECT_EQ(m->layers[0].annotations.at("predicateType"), "https://spdx.dev/Document");
  EXPECT_EQ(m->layers[0].annotations.at("dev.cosignproject.cosign/signature"), "");
  auto envelopes = fetch_attestations(client, "lucid/walletd", digest);
  ASSERT_TRUE(envelopes) << envelopes.error().message;
  ASSERT_EQ(envelopes->size(), 1u);
  auto env = oci::parse_dsse(envelopes->at(0));
  ASSERT_TRUE(env);
  EXPECT_EQ(env->payload_type, "application/vnd.in-toto+json");
  auto st = nlohmann::json::parse(env->payload);
  EXPECT_EQ(st["_type"], "https://in-toto.io/Statement/v0.1");
  EXPECT_EQ(st["subject"][0]["name"], subject);
  EXPECT_EQ(st["subject"][0]["digest"]["sha256"], digest.substr(7));
  EXPECT_EQ(st["predicate"], nlohmann::json::parse(sbom->json));

  auto ok = oci::verify_sbom_attestations(*envelopes, digest, keys_of(*key));
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok->documents.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(ok->documents[0]), nlohmann::json::parse(sbom->json));

  // Attesting again replaces the SPDX layer and keeps another predicate type's layer.
  std::string other = R"({"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]})";
  oci::Descriptor foreign = oci::describe("application/vnd.dsse.envelope.v1+json", other);
  foreign.annotations["predicateType"] = "https://slsa.dev/provenance/v0.2";
  ASSERT_TRUE(oci::push_artifact(client, "lucid/walletd", oci::cosign_tag(digest, ".att"), m->layers, foreign,
                                 other));
  ASSERT_TRUE(attest_sbom(client, "lucid/walletd", digest, subject, sbom->json, *key));
  auto again =
      oci::parse_manifest(client.get_manifest("lucid/walletd", oci::cosign_tag(digest, ".att"))->bytes);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->layers.size(), 2u);
  EXPECT_EQ(again->layers[0].annotations.at("predicateType"), "https://slsa.dev/provenance/v0.2");
  EXPECT_EQ(again->layers[1].annotations.at("predicateType"), "https://spdx.dev/Document");
  EXPECT_FALSE(*oci::has_unsigned_sbom(client, "lucid/walletd", digest));
}

// verify_image against the registry: what is a verdict on the image (swapped, unsigned or
// mismatched SBOM) and what is only the mirror's state (a fault, or something not there yet).
class ImageVerdicts : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Registry::skip_reason.empty()) GTEST_SKIP() << Registry::skip_reason;
    client_ = std::make_unique<oci::RegistryClient>(Registry::url);
    auto k = oci::PrivateKey::generate();
    ASSERT_TRUE(k);
    key_.emplace(std::move(*k));
    policy_.signers.add(key_->public_key());
    policy_.today = "2026-12-01";
    sbom::OsvAdvisory a;
    a.id = "LUCID-TEST-VULN-1";
    sbom::OsvAffected af;
    af.ecosystem = "Debian:12";
    af.name = "libvuln1";
    af.ranges.push_back(
        {"ECOSYSTEM", {{sbom::OsvEvent::Kind::kIntroduced, "0"}, {sbom::OsvEvent::Kind::kFixed, "1.0-2"}}});
    a.affected.push_back(af);
    policy_.advisories.push_back(a);
    policy_.index.emplace(policy_.advisories);
  }
  // A signed image in lucid/<repo> with an attested SBOM listing `purls`; returns its digest.
  std::string image(const std::string& repo, const std::vector<std::string>& purls, bool attest = true) {
    std::string d = push_image(*client_, "lucid/" + repo, "1", repo + " content");
    EXPECT_TRUE(oci::sign_image(*client_, "lucid/" + repo, d, name(repo), *key_));
    if (attest) {
      EXPECT_TRUE(oci::attest_sbom(*client_, "lucid/" + repo, d, name(repo), spdx_with(repo, purls), *key_));
    }
    return d;
  }
  static std::string name(const std::string& repo) { return "registry.lucid.local:5000/lucid/" + repo; }
  ImageVerdict verify(const std::string& repo, const std::string& digest,
                      oci::RegistryClient* via = nullptr) {
    return verify_image(via ? *via : *client_, policy_, "svc", name(repo) + ":1@" + digest);
  }
  static const ImageFinding* finding(const ImageVerdict& v, ImageCheck check) {
    for (const auto& f : v.findings)
      if (f.check == check) return &f;
    return nullptr;
  }
  // The verdict's only error finding is `check`, a policy verdict (not a mirror fault).
  static std::string verdict(const ImageVerdict& v, ImageCheck check) {
    EXPECT_FALSE(v.ok());
    const ImageFinding* f = finding(v, check);
    if (!f) {
      ADD_FAILURE() << "no " << to_string(check) << " finding"
                    << (v.findings.empty() ? "" : ": " + v.findings[0].message);
      return {};
    }
    EXPECT_EQ(f->level, ImageFinding::Level::kError) << f->message;
    EXPECT_FALSE(f->unreachable) << f->message;
    for (const auto& o : v.findings) EXPECT_FALSE(o.unreachable) << o.message;
    return f->message;
  }
  static std::string no_verdict(const ImageVerdict& v, ImageCheck check) {
    EXPECT_FALSE(v.ok());
    const ImageFinding* f = finding(v, check);
    if (!f) {
      ADD_FAILURE() << "no " << to_string(check) << " finding";
      return {};
    }
    EXPECT_TRUE(f->unreachable) << f->message;
    return f->message;
  }
  // Rewrites the `.att` layer: the statement with `edit` applied, the original signature kept.
  void swap_statement(const std::string& repo, const std::string& digest,
                      const std::function<void(nlohmann::json&)>& edit) {
    auto envs = oci::fetch_attestations(*client_, "lucid/" + repo, digest);
    ASSERT_TRUE(envs);
    auto env = nlohmann::json::parse(envs->at(0));
    auto raw = base64_decode(env["payload"].get<std::string>());
    ASSERT_TRUE(raw);
    auto st = nlohmann::json::parse(std::string(raw->begin(), raw->end()));
    edit(st);
    std::string payload = st.dump();
    env["payload"] = base64_encode({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
    std::string bytes = env.dump();
    oci::Descriptor layer = oci::describe(oci::kDsseEnvelopeMediaType, bytes);
    layer.annotations["predicateType"] = std::string(oci::kSpdxPredicateType);
    layer.annotations["dev.cosignproject.cosign/signature"] = "";
    ASSERT_TRUE(
        oci::push_artifact(*client_, "lucid/" + repo, oci::cosign_tag(digest, ".att"), {}, layer, bytes));
  }

  std::unique_ptr<oci::RegistryClient> client_;
  std::optional<oci::PrivateKey> key_;
  ImagePolicy policy_;
};

TEST_F(ImageVerdicts, ASignedAttestedImagePassesAndItsAdvisoryIsFound) {
  std::string good = image("v-good", {"pkg:deb/debian/libok1@2.0-1?arch=amd64&distro=debian-12"});
  auto v = verify("v-good", good);
  EXPECT_TRUE(v.ok()) << (v.findings.empty() ? "" : v.findings[0].message);
  EXPECT_EQ(v.sbom_packages, 1u);
  std::string vuln = image("v-vuln", {"pkg:deb/debian/libvuln1@1.0-1?arch=amd64&distro=debian-12"});
  auto why = verdict(verify("v-vuln", vuln), ImageCheck::kAdvisory);
  EXPECT_NE(why.find("LUCID-TEST-VULN-1"), std::string::npos) << why;
  // Fail closed: an unreadable version of an advised package is a finding too.
  std::string odd = image("v-odd", {"pkg:deb/debian/libvuln1@abc?arch=amd64&distro=debian-12"});
  why = verdict(verify("v-odd", odd), ImageCheck::kAdvisory);
  EXPECT_NE(why.find("taken as affected"), std::string::npos) << why;
}

// Issue 12 item 2: the image signature is valid but the SBOM was rewritten to drop the vulnerable
// package. Every way of doing it without the image key is refused.
TEST_F(ImageVerdicts, ASwappedSbomIsRefused) {
  const std::string vuln = "pkg:deb/debian/libvuln1@1.0-1?arch=amd64&distro=debian-12";
  // The statement edited, the signature kept: the DSSE signature no longer verifies.
  std::string d = image("v-swap", {vuln, "pkg:deb/debian/libok1@2.0-1?arch=amd64&distro=debian-12"});
  swap_statement("v-swap", d, [](nlohmann::json& st) { st["predicate"]["packages"].erase(0); });
  auto v = verify("v-swap", d);
  auto why = verdict(v, ImageCheck::kSbom);
  EXPECT_NE(why.find("none of 1 attestation(s)"), std::string::npos) << why;
  EXPECT_EQ(finding(v, ImageCheck::kAdvisory), nullptr) << "nothing is read from a refused SBOM";
  EXPECT_FALSE(finding(v, ImageCheck::kSignature)) << "the image signature itself is fine";

  // A clean SBOM signed by a key the policy does not know.
  d = image("v-stranger", {vuln}, false);
  auto stranger = oci::PrivateKey::generate();
  ASSERT_TRUE(
      oci::attest_sbom(*client_, "lucid/v-stranger", d, name("v-stranger"), spdx_with("x", {}), *stranger));
  verdict(verify("v-stranger", d), ImageCheck::kSbom);

  // The policy key's valid attestation of another image (its clean SBOM) copied under this digest.
  std::string clean = image("v-clean", {"pkg:deb/debian/libok1@2.0-1?arch=amd64&distro=debian-12"});
  d = image("v-replay", {vuln}, false);
  auto envs = oci::fetch_attestations(*client_, "lucid/v-clean", clean);
  ASSERT_TRUE(envs);
  oci::Descriptor layer = oci::describe(oci::kDsseEnvelopeMediaType, envs->at(0));
  layer.annotations["predicateType"] = std::string(oci::kSpdxPredicateType);
  ASSERT_TRUE(
      oci::push_artifact(*client_, "lucid/v-replay", oci::cosign_tag(d, ".att"), {}, layer, envs->at(0)));
  why = verdict(verify("v-replay", d), ImageCheck::kSbom);
  EXPECT_NE(why.find("about another image"), std::string::npos) << why;

  // An unsigned SBOM in cosign's legacy `.sbom` tag (what Lucid used to write) and no attestation.
  d = image("v-legacy", {vuln}, false);
  std::string spdx = spdx_with("v-legacy", {});
  ASSERT_TRUE(oci::push_artifact(*client_, "lucid/v-legacy", oci::cosign_tag(d, ".sbom"), {},
                                 oci::describe(oci::kSpdxJsonMediaType, spdx), spdx));
  why = verdict(verify("v-legacy", d), ImageCheck::kSbom);
  EXPECT_NE(why.find("unsigned"), std::string::npos) << why;

  // A statement the policy key signed about this digest, but of another predicate type (SLSA
  // provenance), is no SBOM.
  d = image("v-slsa", {vuln}, false);
  nlohmann::json st{{"_type", oci::kInTotoStatementV01},
                    {"predicateType", "https://slsa.dev/provenance/v0.2"},
                    {"subject", {{{"name", name("v-slsa")}, {"digest", {{"sha256", d.substr(7)}}}}}},
                    {"predicate", nlohmann::json::parse(spdx_with("v-slsa", {}))}};
  auto env = oci::sign_dsse(oci::kInTotoPayloadType, st.dump(), *key_);
  ASSERT_TRUE(env);
  oci::Descriptor slsa = oci::describe(oci::kDsseEnvelopeMediaType, *env);
  slsa.annotations["predicateType"] = "https://slsa.dev/provenance/v0.2";
  ASSERT_TRUE(oci::push_artifact(*client_, "lucid/v-slsa", oci::cosign_tag(d, ".att"), {}, slsa, *env));
  why = verdict(verify("v-slsa", d), ImageCheck::kSbom);
  EXPECT_NE(why.find("predicateType"), std::string::npos) << why;
}

// Issue 12 item 3: mirror state and faults are findings without a verdict; a moved tag is a warning.
TEST_F(ImageVerdicts, MirrorFaultsAndLagAreNoVerdicts) {
  std::string d = image("v-faults", {"pkg:deb/debian/libok1@2.0-1?arch=amd64&distro=debian-12"});
  testing::FaultyMirror mirror(Registry::url);
  ASSERT_EQ(mirror.start(), "");
  oci::RegistryClient via(mirror.url());
  EXPECT_TRUE(verify("v-faults", d, &via).ok()) << "the proxy itself forwards faithfully";

  for (int status : {503, 429, 500}) {
    mirror.fail(oci::cosign_tag(d, ".sig"), status);
    auto why = no_verdict(verify("v-faults", d, &via), ImageCheck::kSignature);
    EXPECT_NE(why.find("HTTP " + std::to_string(status)), std::string::npos) << why;
    mirror.clear();
    mirror.fail(oci::cosign_tag(d, ".att"), status);
    no_verdict(verify("v-faults", d, &via), ImageCheck::kSbom);
    mirror.clear();
  }
  mirror.fail("/blobs/", 503);  // signature payload and attestation blobs
  auto v = verify("v-faults", d, &via);
  no_verdict(v, ImageCheck::kSignature);
  no_verdict(v, ImageCheck::kSbom);
  mirror.clear();
  mirror.fail("/manifests/" + d, 503);
  no_verdict(verify("v-faults", d, &via), ImageCheck::kMirror);
  mirror.clear();
  EXPECT_GE(mirror.faults_served(), 8);

  // Not replicated yet: the digest, then (image there) its signature and attestation.
  std::string absent = "sha256:" + std::string(64, 'a');
  auto why = no_verdict(verify("v-faults", absent), ImageCheck::kMirror);
  EXPECT_NE(why.find("not replicated yet"), std::string::npos) << why;
  std::string bare = push_image(*client_, "lucid/v-bare", "1", "bare");
  v = verify("v-bare", bare);
  no_verdict(v, ImageCheck::kSignature);
  no_verdict(v, ImageCheck::kSbom);

  // A tag moved to other content: the image runs by digest, so only a warning.
  push_image(*client_, "lucid/v-faults", "1", "other content");
  v = verify("v-faults", d);
  EXPECT_TRUE(v.ok()) << (v.findings.empty() ? "" : v.findings[0].message);
  ASSERT_NE(finding(v, ImageCheck::kTag), nullptr);
  EXPECT_EQ(finding(v, ImageCheck::kTag)->level, ImageFinding::Level::kWarning);
  EXPECT_NE(finding(v, ImageCheck::kTag)->message.find("re-pushed"), std::string::npos);
}

}  // namespace
}  // namespace lucid::imagepolicy
