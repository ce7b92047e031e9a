// Cosign-compatible signatures: key generation and files, the simple-signing payload bytes, the real
// cosign fixtures (../shared/vectors/cosign), tampering, policy key sets, and DSSE attestations.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "lucid/base/base64.h"
#include "lucid/base/files.h"
#include "lucid/supply/cosign_verify.h"
#include "lucid/supply/dsse.h"
#include "lucid/supply/signing_key.h"
#include "lucid/supply/simple_signing.h"
#include "testing/testing.h"

namespace lucid::supply {
namespace {

namespace fs = std::filesystem;

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string text(const fs::path& p) {
  return *read_text_file(p);
}

std::optional<fs::path> cosign_dir() {
  auto v = testing::shared_vectors_dir();
  if (!v || !fs::exists(*v / "cosign" / "simple-signing" / "payload.json")) return std::nullopt;
  return *v / "cosign";
}

#define REQUIRE_COSIGN_VECTORS(dir)                                                               \
  auto dir##_opt = cosign_dir();                                                                  \
  if (!dir##_opt)                                                                                 \
    GTEST_SKIP() << "cosign vectors absent (../shared/vectors/cosign; set LUCID_SHARED_VECTORS)"; \
  const fs::path dir = *dir##_opt

TEST(SimpleSigningPayload, ReproducesCosignBytesExactly) {
  REQUIRE_COSIGN_VECTORS(dir);
  std::string fixture = text(dir / "simple-signing" / "payload.json");
  EXPECT_EQ(simple_signing_payload("registry-testing.svc.lan/busybox",
                                   "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"),
            fixture);
  SimpleSigningClaim c{"registry.suse.com/suse/sle-micro/5.0/toolbox",
                       "sha256:356631f7603526a0af827741f5fe005acf19b7ef7705a34241a91c2d47a6db5e",
                       std::string(kCosignSignatureType),
                       {{"creator", "OBS"}}};
  EXPECT_EQ(simple_signing_payload(c), text(dir / "simple-signing" / "rsa-payload.json"));
}

TEST(SimpleSigningPayload, GoEscapingAndSortedOptional) {
  SimpleSigningClaim c{
      "r/x", "sha256:00", std::string(kCosignSignatureType), {{"z", "a<b>&"}, {"a", "q\"\\\n"}}};
  EXPECT_EQ(
      simple_signing_payload(c),
      R"({"critical":{"identity":{"docker-reference":"r/x"},"image":{"docker-manifest-digest":"sha256:00"},)"
      R"("type":"cosign container image signature"},"optional":{"a":"q\"\\\n","z":"a\u003cb\u003e\u0026"}})");
  auto back = parse_simple_signing(simple_signing_payload(c));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->optional.at("z"), "a<b>&");
  EXPECT_EQ(back->docker_reference, "r/x");
  EXPECT_FALSE(parse_simple_signing(R"({"critical":{"type":"x"}})"));
  EXPECT_FALSE(parse_simple_signing("not json"));
}

TEST(CosignFixtures, EcdsaSignatureVerifies) {
  REQUIRE_COSIGN_VECTORS(dir);
  auto key = PublicKey::load(dir / "simple-signing" / "cosign.pub");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->algorithm(), "ecdsa-p256");
  std::string payload = text(dir / "simple-signing" / "payload.json");
  std::string sig_b64 = text(dir / "simple-signing" / "payload.json.sig");
  while (!sig_b64.empty() && (sig_b64.back() == '\n' || sig_b64.back() == '\r')) sig_b64.pop_back();
  auto sig = base64_decode(sig_b64);
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key->verify(bytes(payload), *sig));

  SignerKeys keys;
  keys.add(*key);
  CosignSignature s{payload, sig_b64};
  const std::string digest = "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b";
  auto ok = verify_cosign_signatures(std::span(&s, 1), digest, keys, "busybox");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->docker_reference, "registry-testing.svc.lan/busybox");

  // The digest claim must be the image's.
  auto wrong_digest =
      verify_cosign_signatures(std::span(&s, 1), "sha256:" + std::string(64, '0'), keys, "busybox");
  ASSERT_FALSE(wrong_digest);
  EXPECT_EQ(wrong_digest.error().kind, ErrorKind::kAuthentication);
  EXPECT_NE(wrong_digest.error().message.find("claims digest sha256:f3cfc9"), std::string::npos)
      << wrong_digest.error().message;
}

TEST(CosignFixtures, WrongKeyFails) {
  REQUIRE_COSIGN_VECTORS(dir);
  auto wrong = PublicKey::load(dir / "simple-signing" / "wrong-key.pub");
  ASSERT_TRUE(wrong) << wrong.error().message;
  std::string payload = text(dir / "simple-signing" / "payload.json");
  auto sig = base64_decode(text(dir / "simple-signing" / "payload.json.sig"));
  ASSERT_TRUE(sig);
  EXPECT_FALSE(wrong->verify(bytes(payload), *sig));
  SignerKeys keys;
  keys.add(*wrong);
  CosignSignature s{payload, text(dir / "simple-signing" / "payload.json.sig")};
  auto r = verify_cosign_signatures(std::span(&s, 1),
                                    "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b",
                                    keys, "busybox");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("none of 1 signature(s) verifies with any of 1 policy key(s)"),
            std::string::npos)
      << r.error().message;
}

TEST(CosignFixtures, AnyFlippedBitInPayloadOrSignatureFails) {
  REQUIRE_COSIGN_VECTORS(dir);
  auto key = PublicKey::load(dir / "simple-signing" / "cosign.pub");
  ASSERT_TRUE(key);
  std::string payload = text(dir / "simple-signing" / "payload.json");
  auto sig = *base64_decode(text(dir / "simple-signing" / "payload.json.sig"));
  for (std::size_t i = 0; i < payload.size(); ++i) {
    std::string p = payload;
    p[i] ^= 0x01;
    ASSERT_FALSE(key->verify(bytes(p), sig)) << "payload byte " << i;
  }
  for (std::size_t i = 0; i < sig.size(); ++i) {
    auto s = sig;
    s[i] ^= 0x01;
    ASSERT_FALSE(key->verify(bytes(payload), s)) << "signature byte " << i;
  }
  EXPECT_FALSE(key->verify(bytes(payload + "\n"), sig));  // raw bytes, not re-serialised JSON
}

TEST(CosignFixtures, RsaPkcs1v15Verifies) {
  REQUIRE_COSIGN_VECTORS(dir);
  auto key = PublicKey::load(dir / "simple-signing" / "rsa.pub");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_TRUE(key->algorithm().starts_with("rsa-"));
  std::string payload = text(dir / "simple-signing" / "rsa-payload.json");
  auto sig = base64_decode(text(dir / "simple-signing" / "rsa-payload.json.sig"));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key->verify(bytes(payload), *sig));
  payload[10] ^= 1;
  EXPECT_FALSE(key->verify(bytes(payload), *sig));
}

TEST(SigningKeys, GenerateWritesPemFilesAndSignaturesVerify) {
  testing::ScratchDir dir;
  auto pub = generate_key_files(dir / "cosign.key", dir / "cosign.pub");
  ASSERT_TRUE(pub) << pub.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "cosign.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string priv_pem = text(dir / "cosign.key");
  EXPECT_TRUE(priv_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  std::string pub_pem = text(dir / "cosign.pub");
  EXPECT_TRUE(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
  EXPECT_EQ(pub_pem, pub->pem());

  // Refuses to overwrite.
  auto again = generate_key_files(dir / "cosign.key", dir / "other.pub");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_FALSE(fs::exists(dir / "other.pub"));

  auto key = PrivateKey::load(dir / "cosign.key");
  ASSERT_TRUE(key) << key.error().message;
  std::string payload = simple_signing_payload("127.0.0.1:5000/lucid/beta", "sha256:" + std::string(64, 'a'));
  auto sig = key->sign(bytes(payload));
  ASSERT_TRUE(sig);
  auto loaded = PublicKey::load(dir / "cosign.pub");
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded->verify(bytes(payload), *sig));

  // openssl agrees (independent implementation of the same check).
  if (testing::have_program("openssl")) {
    testing::write_bytes(dir / "payload", std::vector<std::uint8_t>(payload.begin(), payload.end()));
    testing::write_bytes(dir / "sig", *sig);
    auto r = testing::run({"openssl", "dgst", "-sha256", "-verify", (dir / "cosign.pub").string(),
                           "-signature", (dir / "sig").string(), (dir / "payload").string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
}

TEST(SigningKeys, RefusesNonKeysAndWrongCurves) {
  EXPECT_FALSE(PublicKey::from_pem("not a key", "x"));
  testing::ScratchDir dir;
  if (!testing::have_program("openssl")) GTEST_SKIP() << "openssl not on PATH";
  auto r = testing::run({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384",
                         "-out", (dir / "p384.key").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto p = PrivateKey::load(dir / "p384.key");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message.find("BEGIN"), std::string::npos);  // no key material in messages
}

TEST(SignerKeys, LoadsDirectoryAndRejectsBrokenFile) {
  REQUIRE_COSIGN_VECTORS(vec);
  testing::ScratchDir dir;
  fs::copy_file(vec / "simple-signing" / "cosign.pub", dir / "a.pub");
  fs::copy_file(vec / "simple-signing" / "wrong-key.pub", dir / "b.pem");
  testing::write_bytes(dir / "README.md", {'x'});
  auto keys = SignerKeys::load_dir(dir.path());
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->keys().size(), 2u);
  // Accepted when any key verifies (the fixture key is one of two).
  CosignSignature s{text(vec / "simple-signing" / "payload.json"),
                    text(vec / "simple-signing" / "payload.json.sig")};
  auto ok = verify_cosign_signatures(
      std::span(&s, 1), "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b", *keys,
      "busybox");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(fs::path(ok->key_name).filename(), "a.pub");

  testing::write_bytes(dir / "c.pub", {'n', 'o'});
  auto broken = SignerKeys::load_dir(dir.path());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("c.pub"), std::string::npos);
  EXPECT_FALSE(SignerKeys::load_dir(dir / "absent"));
}

TEST(CosignVerify, MissingSignatureAndWrongType) {
  SignerKeys none;
  EXPECT_FALSE(verify_cosign_signatures({}, "sha256:x", none, "img"));
  auto key = PrivateKey::generate();
  ASSERT_TRUE(key);
  SignerKeys keys;
  keys.add(key->public_key());
  SimpleSigningClaim c{"r/x", "sha256:" + std::string(64, 'b'), "atomic container signature", {}};
  std::string payload = simple_signing_payload(c);
  CosignSignature s{payload, base64_encode(*key->sign(bytes(payload)))};
  auto r = verify_cosign_signatures(std::span(&s, 1), c.manifest_digest, keys, "img");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("has type \"atomic container signature\""), std::string::npos)
      << r.error().message;
}

// DSSE (cosign verify-blob-attestation fixtures).
TEST(Dsse, CosignAttestationFixtures) {
  REQUIRE_COSIGN_VECTORS(dir);
  auto key = PublicKey::load(dir / "dsse-attestation" / "cosign.pub");
  ASSERT_TRUE(key) << key.error().message;
  SignerKeys keys;
  keys.add(*key);
  std::string blob = text(dir / "dsse-attestation" / "blob");
  std::string blob_hex = sha256_digest(blob).substr(7);
  EXPECT_TRUE(blob_hex.starts_with("658781cd"));
  struct Case {
    const char* file;
    bool ok;
  } cases[] = {{"slsa-provenance.dsse.json", true},
               {"multiple-subjects-one-valid.dsse.json", true},
               {"neg-empty-subject.dsse.json", false},
               {"neg-missing-sha256.dsse.json", false},
               {"neg-multiple-subjects-none-valid.dsse.json", false}};
  for (const auto& c : cases) {
    auto env = parse_dsse(text(dir / "dsse-attestation" / c.file));
    ASSERT_TRUE(env) << c.file << ": " << env.error().message;
    auto v = verify_dsse(*env, keys);
    ASSERT_TRUE(v) << c.file << ": signatures are valid in every fixture: " << v.error().message;
    EXPECT_EQ(bool(check_in_toto_subject(env->payload, blob_hex)), c.ok) << c.file;
  }
  // The other blob is not the subject; a flipped payload byte breaks the signature.
  auto env = *parse_dsse(text(dir / "dsse-attestation" / "slsa-provenance.dsse.json"));
  EXPECT_FALSE(check_in_toto_subject(env.payload,
                                     sha256_digest(text(dir / "dsse-attestation" / "other-blob")).substr(7)));
  env.payload[5] ^= 1;
  EXPECT_FALSE(verify_dsse(env, keys));
  EXPECT_EQ(dsse_pae("t", "ab"), "DSSEv1 1 t 2 ab");
}

}  // namespace
}  // namespace lucid::supply
