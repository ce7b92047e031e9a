// End to end (issue 5): `lucidctl build --stage 3`, `--stage 0`, `--stage 1` (the data chain's five
// images, issue 14) and `--stage 2` (the sessions group's, issue 15) against the real Docker engine and a
// private docker-registry on 127.0.0.1 pin into a copy of deploy/; `lucidctl verify --cluster` passes on the
// result (signatures, SBOMs, the inclusion matrix); then each supply-chain refusal on its own copy of the
// beta image in the same registry. Images are built once per binary (the environment below) under a unique
// local prefix and removed after.
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/base/base64.h"
#include "lucid/base/files.h"
#include "lucid/imagepolicy/verify_images.h"
#include "lucid/oci/image_signature.h"
#include "lucid/oci/oci_manifest.h"
#include "lucid/oci/sbom_attachment.h"
#include "lucid/oci/simple_signing.h"
#include "lucid/sbom/spdx.h"
#include "testing/docker.h"
#include "testing/registry.h"
#include "testing/testing.h"

namespace lucid::build {
namespace {

namespace fs = std::filesystem;
namespace imagepolicy = lucid::imagepolicy;
namespace oci = lucid::oci;
namespace sbom = lucid::sbom;
using testing::run;

const std::string kCluster = "edge-node-eu-1";

std::string lucidctl() {
  return (testing::bin_dir() / "lucidctl").string();
}

// Built once for the whole binary.
struct Built {
  static inline std::string skip;
  static inline testing::LocalRegistry* registry = nullptr;
  static inline testing::ScratchDir* dir = nullptr;
  static inline std::string prefix;
  static inline nlohmann::json stage3, stage0, stage1, stage2;
  static fs::path repo() { return *dir / "repo"; }
  static fs::path key() { return *dir / "signer.key"; }
};

std::string build_stage(int stage, nlohmann::json& out) {
  auto r =
      run({lucidctl(), "build", "--stage", std::to_string(stage), "--push", Built::registry->host(), "--key",
           Built::key().string(), "--repo", Built::repo().string(), "--images",
           std::string(LUCID_SOURCE_DIR) + "/docker/images.yaml", "--local-prefix", Built::prefix, "--json"});
  if (r.exit_code != 0) return "lucidctl build --stage " + std::to_string(stage) + " failed: " + r.err;
  out = nlohmann::json::parse(r.out);
  return {};
}

class BuildEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (auto why = testing::ensure_docker(); !why.empty()) {
      Built::skip = why;
      return;
    }
    Built::registry = new testing::LocalRegistry();
    if (auto why = Built::registry->start(); !why.empty()) {
      Built::skip = why;
      return;
    }
    Built::dir = new testing::ScratchDir();
    Built::prefix = "lucid-e2e-" + std::to_string(::getpid());
    fs::copy(fs::path(LUCID_SOURCE_DIR) / "deploy", Built::repo(), fs::copy_options::recursive);
    auto keys = run({lucidctl(), "keys", "gen", "--out", (*Built::dir / "signer").string()});
    if (keys.exit_code != 0) {
      Built::skip = "lucidctl keys gen failed: " + keys.err + keys.out;
      return;
    }
    fs::copy_file(*Built::dir / "signer.pub", Built::repo() / "policies/signers/build.pub");
    if (auto why = build_stage(3, Built::stage3); !why.empty()) Built::skip = why;
    if (auto why = build_stage(0, Built::stage0); !why.empty()) Built::skip = why;
    if (auto why = build_stage(1, Built::stage1); !why.empty()) Built::skip = why;
    if (auto why = build_stage(2, Built::stage2); !why.empty()) Built::skip = why;
  }
  void TearDown() override {
    for (const auto* j : {&Built::stage3, &Built::stage0, &Built::stage1, &Built::stage2})
      if (j->contains("images"))
        for (const auto& i : (*j)["images"])
          testing::docker({"rmi", "-f", i["local_tag"].get<std::string>()});
    delete Built::registry;
    delete Built::dir;
  }
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new BuildEnvironment);

#define REQUIRE_BUILT() \
  if (!Built::skip.empty()) GTEST_SKIP() << Built::skip

const nlohmann::json* built_image(const std::string& name) {
  for (const auto* j : {&Built::stage3, &Built::stage0, &Built::stage1, &Built::stage2})
    for (const auto& i : (*j)["images"])
      if (i["name"] == name) return &i;
  return nullptr;
}

std::string compose_text() {
  auto t = read_text_file(Built::repo() / "infrastructure/compose/docker-compose.yml");
  return t ? *t : "";
}

TEST(Build, PinsTheRegistryDigestsIntoTheRepo) {
  REQUIRE_BUILT();
  oci::RegistryClient client(Built::registry->url());
  std::string compose = compose_text();
  for (const char* name : {"node-worker", "beta", "lucidctl"}) {
    const auto* img = built_image(name);
    ASSERT_NE(img, nullptr) << name;
    auto head = client.head_manifest(std::string("lucid/") + name, "0.1.0");
    ASSERT_TRUE(head && *head) << name;
    EXPECT_EQ((*head)->digest, (*img)["digest"]) << name;
    if (std::string(name) != "lucidctl") {
      EXPECT_NE(
          compose.find(fmt::format("registry.lucid.local:5000/lucid/{}:0.1.0@{}", name, (*head)->digest)),
          std::string::npos)
          << name;
    }
    EXPECT_GT((*img)["sbom_packages"].get<int>(), 1) << name;
  }
  EXPECT_NE(Built::stage3["diff"].get<std::string>().find(
                "+    image: registry.lucid.local:5000/lucid/node-worker:0.1.0@"),
            std::string::npos);
  // Only image lines changed: every other line of the original compose file is still there.
  auto original =
      read_text_file(fs::path(LUCID_SOURCE_DIR) / "deploy/infrastructure/compose/docker-compose.yml");
  ASSERT_TRUE(original);
  EXPECT_EQ(std::count(original->begin(), original->end(), '\n'),
            std::count(compose.begin(), compose.end(), '\n'));
}

TEST(Build, ImagesRunTheirHealthEntryPointAndHaveNoShell) {
  REQUIRE_BUILT();
  std::string worker = Built::prefix + "/node-worker:0.1.0";
  // The entrypoint is the service (`run`), whose `health` needs its heartbeat; a bare container
  // proves the binary and its libraries load with `health --binary-only`.
  auto health = testing::docker({"run", "--rm", "--network", "none", "--entrypoint",
                                 "/usr/local/bin/lucid-node-worker", worker, "health", "--binary-only"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_NE(health.out.find("lucid-node-worker 0.1.0"), std::string::npos);
  auto ffmpeg = testing::docker(
      {"run", "--rm", "--network", "none", "--entrypoint", "/usr/bin/ffmpeg", worker, "-version"});
  EXPECT_EQ(ffmpeg.exit_code, 0) << ffmpeg.err;
  auto id =
      testing::docker({"run", "--rm", "--network", "none", "--entrypoint", "/usr/local/bin/lucid-node-worker",
                       "--user", "10001:10001", worker, "--version"});
  EXPECT_EQ(id.exit_code, 0) << id.err;
  auto shell =
      testing::docker({"run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", worker, "-c", "true"});
  EXPECT_NE(shell.exit_code, 0);
  auto user = testing::docker({"image", "inspect", "-f", "{{.Config.User}}", Built::prefix + "/beta:0.1.0"});
  EXPECT_EQ(user.out, "10000:10000\n");
  auto tor = testing::docker({"run", "--rm", "--network", "none", "--entrypoint", "/usr/sbin/tor",
                              Built::prefix + "/beta:0.1.0", "--version"});
  EXPECT_EQ(tor.exit_code, 0) << tor.err;
}

TEST(Verify, NodeClusterPassesForEveryBuiltImage) {
  REQUIRE_BUILT();
  auto r = run({lucidctl(), "verify", "--cluster", kCluster, Built::repo().string(), "--registry",
                Built::registry->url(), "--service", "beta", "--service", "node-worker", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  ASSERT_EQ(j["images"].size(), 2u);
  bool xrdp_waived = false;
  for (const auto& i : j["images"]) {
    EXPECT_NE(i["signer"].get<std::string>().find("build.pub"), std::string::npos) << i.dump();
    for (const auto& f : i["findings"])
      if (f["level"] == "waived" && f["message"].get<std::string>().find("xrdp") != std::string::npos)
        xrdp_waived = true;
  }
  EXPECT_TRUE(xrdp_waived) << r.out;
}

TEST(Verify, WholeClusterRefusesOnlyTheImagesNotBuiltYet) {
  REQUIRE_BUILT();
  auto r = run({lucidctl(), "verify", "--cluster", kCluster, Built::repo().string(), "--registry",
                Built::registry->url()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const char* svc : {"node-data-host", "node-economy", "node-governances"}) {
    EXPECT_NE(r.out.find(fmt::format("REFUSED {}", svc)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(fmt::format("lucid/{}@sha256:", svc)), std::string::npos) << r.out;
  }
  EXPECT_NE(r.out.find("ok      beta"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok      node-worker"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": mirror: digest "), std::string::npos) << r.out;
}

// The data chain's cluster: the five Stage 1 services pinned into deploy/'s compose file verify --
// signed by the build key, with SBOMs that satisfy the inclusion matrix rows of
// blockchain-virtual-machine and blockchain-ledger (their `lucid:` binaries present).
TEST(Verify, ChainClusterPassesForTheFiveStageOneImages) {
  REQUIRE_BUILT();
  const std::vector<std::string> services = {"blockchain-core", "blockchain-ledger",
                                             "blockchain-virtual-machine", "blockchain-sessions-data",
                                             "blockchain-governances"};
  std::vector<std::string> argv = {lucidctl(),
                                   "verify",
                                   "--cluster",
                                   "core-chain-1",
                                   Built::repo().string(),
                                   "--registry",
                                   Built::registry->url(),
                                   "--json"};
  for (const auto& service : services) argv.insert(argv.end(), {"--service", service});
  auto r = run(argv);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  ASSERT_EQ(j["images"].size(), services.size()) << r.out;
  const std::string compose = compose_text();
  for (const auto& service : services) {
    const auto* img = built_image(service);
    ASSERT_NE(img, nullptr) << service;
    EXPECT_NE(compose.find(fmt::format("registry.lucid.local:5000/lucid/{}:0.1.0@{}", service,
                                       (*img)["digest"].get<std::string>())),
              std::string::npos)
        << service << " is not pinned";
  }
  // The matrix rows were checked, not skipped: each must component of the two rows is named as found.
  std::size_t matrix_rows = 0;
  for (const auto& image : j["images"]) {
    const std::string service = image.value("service", "");
    if (service != "blockchain-virtual-machine" && service != "blockchain-ledger") continue;
    ++matrix_rows;
    for (const auto& f : image["findings"])
      EXPECT_NE(f.value("level", ""), "error") << service << ": " << f.dump();
  }
  EXPECT_EQ(matrix_rows, 2u) << r.out;
}

// The sessions cluster: sessions-gateway (stage 2) pinned into deploy/'s compose file verifies, signed
// by the build key with its SBOM, and its program loads in its image (no shell, its own user).
TEST(Verify, SessionsClusterPassesForTheStageTwoImage) {
  REQUIRE_BUILT();
  auto r = run({lucidctl(), "verify", "--cluster", "core-sessions-1", Built::repo().string(), "--registry",
                Built::registry->url(), "--service", "sessions-gateway", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  ASSERT_EQ(j["images"].size(), 1u) << r.out;
  const auto* img = built_image("sessions-gateway");
  ASSERT_NE(img, nullptr);
  EXPECT_NE(compose_text().find(fmt::format("registry.lucid.local:5000/lucid/sessions-gateway:0.1.0@{}",
                                            (*img)["digest"].get<std::string>())),
            std::string::npos)
      << "sessions-gateway is not pinned";
  const std::string image = Built::prefix + "/sessions-gateway:0.1.0";
  auto help = testing::docker({"run", "--rm", "--network", "none", "--entrypoint",
                               "/usr/local/bin/lucid-sessions-gateway", image, "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("SESSIONS_TOKEN_SEED"), std::string::npos) << help.out;
  auto shell =
      testing::docker({"run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c", "true"});
  EXPECT_NE(shell.exit_code, 0);
  auto user = testing::docker({"image", "inspect", "-f", "{{.Config.User}}", image});
  EXPECT_EQ(user.out, "10001:10001\n");
}

// ---- refusals: each on its own copy of the beta image (repository lucid/<case>) ----

class Refusal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Built::skip.empty()) GTEST_SKIP() << Built::skip;
    client_ = std::make_unique<oci::RegistryClient>(Built::registry->url());
    auto p = imagepolicy::load_image_policy(Built::repo());
    ASSERT_TRUE(p) << p.error().message;
    policy_ = std::move(*p);
    auto k = oci::PrivateKey::load(Built::key());
    ASSERT_TRUE(k);
    key_.emplace(std::move(*k));
    source_digest_ = (*built_image("beta"))["digest"].get<std::string>();
  }

  // Copies beta's manifest and blobs to lucid/<repo>:0.1.0; returns the digest (the same bytes).
  std::string copy_beta(const std::string& repo) {
    auto m = client_->get_manifest("lucid/beta", source_digest_);
    EXPECT_TRUE(m);
    auto parsed = oci::parse_manifest(m->bytes);
    EXPECT_TRUE(parsed);
    std::vector<oci::Descriptor> blobs = parsed->layers;
    blobs.push_back(parsed->config);
    for (const auto& b : blobs) {
      auto bytes = client_->get_blob("lucid/beta", b.digest);
      EXPECT_TRUE(bytes);
      EXPECT_TRUE(client_->push_blob("lucid/" + repo, *bytes));
    }
    auto d = client_->put_manifest("lucid/" + repo, "0.1.0", m->bytes, m->info.media_type);
    EXPECT_TRUE(d) << (d ? "" : d.error().message);
    return *d;
  }
  // beta's SBOM as `lucidctl build` attested it (the signed predicate).
  std::string beta_sbom() {
    auto envs = oci::fetch_attestations(*client_, "lucid/beta", source_digest_);
    EXPECT_TRUE(envs);
    auto v = oci::verify_sbom_attestations(*envs, source_digest_, policy_.signers);
    EXPECT_TRUE(v) << v.error().message;
    return v->documents.at(0);
  }
  // Attests `sbom` for lucid/<repo>@digest with the build's key.
  void attach(const std::string& repo, const std::string& digest, const std::string& sbom) {
    ASSERT_TRUE(oci::attest_sbom(*client_, "lucid/" + repo, digest, "registry.lucid.local:5000/lucid/" + repo,
                                 sbom, *key_));
  }
  void sign(const std::string& repo, const std::string& digest, const oci::PrivateKey& key) {
    ASSERT_TRUE(
        oci::sign_image(*client_, "lucid/" + repo, digest, "registry.lucid.local:5000/lucid/" + repo, key));
  }
  // A fully valid copy: SBOM and the policy key's signature.
  std::string valid_copy(const std::string& repo) {
    std::string d = copy_beta(repo);
    attach(repo, d, beta_sbom());
    sign(repo, d, *key_);
    return d;
  }
  imagepolicy::ImageVerdict verify(const std::string& repo, const std::string& digest, bool tag = true) {
    return imagepolicy::verify_image(
        *client_, policy_, "beta",
        fmt::format("registry.lucid.local:5000/lucid/{}{}@{}", repo, tag ? ":0.1.0" : "", digest));
  }
  // The refusal for `check`, asserting that it names the image and the check.
  static std::string refusal(const imagepolicy::ImageVerdict& v, const std::string& check) {
    EXPECT_FALSE(v.ok());
    for (const auto& f : v.findings)
      if (f.level == imagepolicy::ImageFinding::Level::kError && imagepolicy::to_string(f.check) == check) {
        EXPECT_NE(f.message.find(v.image + ": " + check + ": "), std::string::npos) << f.message;
        return f.message;
      }
    ADD_FAILURE() << "no " << check << " refusal";
    return {};
  }
  void add_tor_advisory() {
    std::string osv =
        R"({"id":"LUCID-TEST-2026-0001","summary":"test advisory on tor","affected":[{"package":)"
        R"({"ecosystem":"Debian:12","name":"tor"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]})";
    auto a = sbom::parse_osv(osv, "test.json");
    ASSERT_TRUE(a) << a.error().message;
    policy_.advisories.push_back(*a);
    policy_.index.emplace(policy_.advisories);
  }
  void set_waiver(const std::string& expires) {
    auto w = sbom::parse_waivers(
        "waivers:\n  - id: LUCID-TEST-2026-0001\n    package: pkg:deb/debian/tor\n"
        "    reason: test\n    expires: " +
            expires + "\n",
        "waivers.yaml");
    ASSERT_TRUE(w) << w.error().message;
    policy_.waivers = *w;
  }

  std::unique_ptr<oci::RegistryClient> client_;
  imagepolicy::ImagePolicy policy_;
  std::optional<oci::PrivateKey> key_;
  std::string source_digest_;
};

TEST_F(Refusal, ValidCopyPasses) {
  std::string d = valid_copy("r-valid");
  auto v = verify("r-valid", d);
  EXPECT_TRUE(v.ok()) << (v.findings.empty() ? "" : v.findings[0].message);
}

// The image runs by digest, so a tag re-pushed with other content is a warning, not a refusal.
TEST_F(Refusal, TagRePushedWithDifferentContentIsAWarning) {
  std::string d = valid_copy("r-repush");
  // Same tag, other content: beta's layers under a changed config.
  auto m = client_->get_manifest("lucid/r-repush", d);
  ASSERT_TRUE(m);
  auto parsed = oci::parse_manifest(m->bytes);
  ASSERT_TRUE(parsed);
  std::string config =
      R"({"architecture":"amd64","os":"linux","config":{"User":"0:0"},"rootfs":{"type":"layers","diff_ids":[]}})";
  ASSERT_TRUE(client_->push_blob("lucid/r-repush", config));
  parsed->media_type = std::string(oci::kDockerManifestV2);
  parsed->config = oci::describe("application/vnd.docker.container.image.v1+json", config);
  ASSERT_TRUE(
      client_->put_manifest("lucid/r-repush", "0.1.0", oci::manifest_json(*parsed), oci::kDockerManifestV2));
  auto v = verify("r-repush", d);
  EXPECT_TRUE(v.ok()) << (v.findings.empty() ? "" : v.findings[0].message);
  bool warned = false;
  for (const auto& f : v.findings)
    warned |= f.check == imagepolicy::ImageCheck::kTag &&
              f.level == imagepolicy::ImageFinding::Level::kWarning &&
              f.message.find("re-pushed") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST_F(Refusal, SignatureByUnknownKey) {
  std::string d = copy_beta("r-unknown-key");
  attach("r-unknown-key", d, beta_sbom());
  auto stranger = oci::PrivateKey::generate();
  ASSERT_TRUE(stranger);
  sign("r-unknown-key", d, *stranger);
  refusal(verify("r-unknown-key", d), "signature");
}

TEST_F(Refusal, PayloadClaimsAnotherDigest) {
  std::string d = copy_beta("r-claim");
  attach("r-claim", d, beta_sbom());
  // A payload signed by the policy key but naming another image's digest, under this image's .sig tag.
  std::string other = (*built_image("lucidctl"))["digest"].get<std::string>();
  std::string payload = oci::simple_signing_payload("registry.lucid.local:5000/lucid/r-claim", other);
  auto sig = key_->sign({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
  ASSERT_TRUE(sig);
  auto layer = oci::describe(oci::kSimpleSigningMediaType, payload);
  layer.annotations[std::string(oci::kCosignSignatureAnnotation)] = base64_encode(*sig);
  ASSERT_TRUE(oci::push_artifact(*client_, "lucid/r-claim", oci::cosign_tag(d, ".sig"), {}, layer, payload));
  auto why = refusal(verify("r-claim", d), "signature");
  EXPECT_NE(why.find("digest"), std::string::npos) << why;
}

// No `.sig` (or no `.att`) in the mirror: `lucidctl verify` refuses, but as no verdict (the mirror may
// not have replicated it yet), so a reconciler retries instead of marking the commit bad.
TEST_F(Refusal, MissingSignature) {
  std::string d = copy_beta("r-unsigned");
  attach("r-unsigned", d, beta_sbom());
  auto v = verify("r-unsigned", d);
  refusal(v, "signature");
  for (const auto& f : v.findings)
    if (f.check == imagepolicy::ImageCheck::kSignature) {
      EXPECT_TRUE(f.unreachable) << f.message;
    }
}

TEST_F(Refusal, MissingSbom) {
  std::string d = copy_beta("r-no-sbom");
  sign("r-no-sbom", d, *key_);
  auto v = verify("r-no-sbom", d);
  auto why = refusal(v, "sbom");
  EXPECT_NE(why.find("no signed SBOM attestation"), std::string::npos) << why;
  for (const auto& f : v.findings)
    if (f.check == imagepolicy::ImageCheck::kSbom) {
      EXPECT_TRUE(f.unreachable) << f.message;
    }
}

TEST_F(Refusal, SbomLacksAMustIncludeComponent) {
  std::string d = copy_beta("r-no-tor");
  auto sbom = nlohmann::json::parse(beta_sbom());
  auto& pkgs = sbom["packages"];
  std::size_t before = pkgs.size();
  pkgs.erase(
      std::remove_if(pkgs.begin(), pkgs.end(), [](const nlohmann::json& p) { return p["name"] == "tor"; }),
      pkgs.end());
  ASSERT_EQ(pkgs.size() + 1, before) << "beta's SBOM should list the tor package once";
  attach("r-no-tor", d, sbom.dump(2));
  sign("r-no-tor", d, *key_);
  auto why = refusal(verify("r-no-tor", d), "inclusion");
  EXPECT_NE(why.find("must-include component tor"), std::string::npos) << why;
}

// Issue 12: the SBOM cannot be swapped without the image key. beta's attested SBOM with tor removed,
// put back under the original DSSE signature, is refused; so is the same SBOM unsigned in the legacy
// `.sbom` tag, and `lucidctl sign --sbom` attests an SBOM file that then verifies.
TEST_F(Refusal, SwappedOrUnsignedSbom) {
  std::string d = copy_beta("r-swap");
  sign("r-swap", d, *key_);
  attach("r-swap", d, beta_sbom());
  auto envs = oci::fetch_attestations(*client_, "lucid/r-swap", d);
  ASSERT_TRUE(envs);
  auto env = nlohmann::json::parse(envs->at(0));
  auto raw = base64_decode(env["payload"].get<std::string>());
  ASSERT_TRUE(raw);
  auto st = nlohmann::json::parse(std::string(raw->begin(), raw->end()));
  auto& pkgs = st["predicate"]["packages"];
  pkgs.erase(
      std::remove_if(pkgs.begin(), pkgs.end(), [](const nlohmann::json& p) { return p["name"] == "tor"; }),
      pkgs.end());
  std::string payload = st.dump();
  env["payload"] = base64_encode({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
  std::string swapped = env.dump();
  auto layer = oci::describe(oci::kDsseEnvelopeMediaType, swapped);
  layer.annotations["predicateType"] = std::string(oci::kSpdxPredicateType);
  ASSERT_TRUE(oci::push_artifact(*client_, "lucid/r-swap", oci::cosign_tag(d, ".att"), {}, layer, swapped));
  auto v = verify("r-swap", d);
  auto why = refusal(v, "sbom");
  EXPECT_NE(why.find("signed by a policy key"), std::string::npos) << why;
  for (const auto& f : v.findings)
    EXPECT_NE(f.check, imagepolicy::ImageCheck::kInclusion) << "nothing is read from a refused SBOM";

  std::string u = copy_beta("r-legacy");
  sign("r-legacy", u, *key_);
  std::string sbom = beta_sbom();
  ASSERT_TRUE(oci::push_artifact(*client_, "lucid/r-legacy", oci::cosign_tag(u, ".sbom"), {},
                                 oci::describe(oci::kSpdxJsonMediaType, sbom), sbom));
  why = refusal(verify("r-legacy", u), "sbom");
  EXPECT_NE(why.find("unsigned"), std::string::npos) << why;

  // `lucidctl sign --sbom FILE` attests it; a file that is not SPDX is refused before anything is written.
  const fs::path file = *Built::dir / "r-legacy.spdx.json";
  std::ofstream(file) << sbom;
  const std::string image = fmt::format("{}/lucid/r-legacy@{}", Built::registry->host(), u);
  auto r = run({lucidctl(), "sign", image, "--key", Built::key().string(), "--sbom", file.string(),
                "--registry", Built::registry->url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(".att"), std::string::npos) << r.out;
  EXPECT_TRUE(verify("r-legacy", u).ok());
  std::ofstream(*Built::dir / "not.json") << "[1]";
  r = run({lucidctl(), "sign", image, "--key", Built::key().string(), "--sbom",
           (*Built::dir / "not.json").string(), "--registry", Built::registry->url()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--sbom"), std::string::npos) << r.err;
}

TEST_F(Refusal, SbomPackageMatchedByAdvisory) {
  std::string d = valid_copy("r-advisory");
  add_tor_advisory();
  auto why = refusal(verify("r-advisory", d), "advisory");
  EXPECT_NE(why.find("LUCID-TEST-2026-0001"), std::string::npos) << why;
  set_waiver("2999-12-31");  // an unexpired waiver lets it through
  EXPECT_TRUE(verify("r-advisory", d).ok());
}

TEST_F(Refusal, ExpiredWaiver) {
  std::string d = valid_copy("r-expired");
  add_tor_advisory();
  set_waiver("2020-01-01");
  auto why = refusal(verify("r-expired", d), "advisory");
  EXPECT_NE(why.find("expired"), std::string::npos) << why;
}

TEST_F(Refusal, ExpiredComponentWaiverRefusesXrdp) {
  auto w = imagepolicy::parse_component_waivers(
      "components:\n  - {container: node-worker, component: xrdp, reason: r, expires: 2020-01-01}\n",
      "waivers.yaml");
  ASSERT_TRUE(w);
  policy_.component_waivers = *w;
  const auto* worker = built_image("node-worker");
  auto v = imagepolicy::verify_image(*client_, policy_, "node-worker",
                                     fmt::format("registry.lucid.local:5000/lucid/node-worker:0.1.0@{}",
                                                 (*worker)["digest"].get<std::string>()));
  auto why = refusal(v, "inclusion");
  EXPECT_NE(why.find("xrdp"), std::string::npos) << why;
  EXPECT_NE(why.find("expired"), std::string::npos) << why;
}

}  // namespace
}  // namespace lucid::build
