// SOPS: the real-sops fixtures (../shared/vectors/sops, FluxCD's sops 3.9 files) and the reference
// repo's deploy/secrets decrypt to their known plaintexts with the MAC verified; re-serializing a
// parsed fixture reproduces it byte for byte (the layout Lucid writes); Lucid's own files round-trip;
// every kind of tampering is refused with a message naming what failed.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/crypto/age.h"
#include "lucid/sops/sops_file.h"
#include "testing/testing.h"

namespace lucid::sops {
namespace {

namespace fs = std::filesystem;
using crypto::X25519Identity;
using crypto::X25519Recipient;

std::string slurp(const fs::path& p) {
  auto t = read_text_file(p);
  if (!t) throw std::runtime_error("cannot read " + p.string());
  return *t;
}

std::vector<X25519Identity> identities(const fs::path& p) {
  auto ids = crypto::parse_age_identity_file(slurp(p));
  if (!ids) throw std::runtime_error("bad identity file " + p.string());
  return *ids;
}

fs::path flux_dir() {
  auto d = testing::shared_vectors_dir();
  return d ? *d / "sops" / "fluxcd-kustomize-controller" : fs::path();
}

std::string value_at(const SopsPlain& p, std::string_view path) {
  const SopsNode* n = sops_lookup(p.data, path);
  return n == nullptr ? "<absent>" : n->text;
}

class SopsFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (flux_dir().empty() || !fs::is_directory(flux_dir()))
      GTEST_SKIP()
          << "../shared/vectors/sops/fluxcd-kustomize-controller is absent (set LUCID_SHARED_VECTORS)";
    ids_ = identities(flux_dir() / "keys" / "age.txt");
  }
  std::vector<X25519Identity> ids_;
};

TEST_F(SopsFixtures, EveryFixtureDecryptsToItsPlaintextWithTheMacVerified) {
  struct Case {
    const char* file;
    SopsFormat format;
    const char* path;
    const char* value;
  } cases[] = {
      {"algorithms_age.yaml", SopsFormat::kYaml, "stringData.key", "value"},
      {"patches_merge1.yaml", SopsFormat::kYaml, "stringData.key", "merge1"},
      {"patches_merge2.yaml", SopsFormat::kYaml, "stringData.merge2", "merge2"},
      {"files_file.txt", SopsFormat::kJson, "data", "value"},
      {"component_env.env", SopsFormat::kDotenv, "key", "value"},
      {"envs_env.env", SopsFormat::kDotenv, "key", "value"},
      {"remote_env.env", SopsFormat::kDotenv, "key", "value"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    auto f = sops_parse(slurp(flux_dir() / c.file), c.format, c.file);
    ASSERT_TRUE(f) << f.error().message;
    ASSERT_TRUE(sops_check(*f, c.file)) << sops_check(*f, c.file).error().message;
    auto p = sops_decrypt(*f, ids_, c.file);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(value_at(*p, c.path), c.value);
    if (c.format == SopsFormat::kYaml) {
      EXPECT_EQ(value_at(*p, "kind"), "Secret");  // encrypted_regex left it in clear, MAC covers it
    }
  }
}

TEST_F(SopsFixtures, ReserializingAFixtureReproducesItByteForByte) {
  for (auto [file, format] : {std::pair{"algorithms_age.yaml", SopsFormat::kYaml},
                              std::pair{"patches_merge1.yaml", SopsFormat::kYaml},
                              std::pair{"component_env.env", SopsFormat::kDotenv},
                              std::pair{"files_file.txt", SopsFormat::kJson}}) {
    SCOPED_TRACE(file);
    std::string text = slurp(flux_dir() / file);
    auto f = sops_parse(text, format, file);
    ASSERT_TRUE(f) << f.error().message;
    auto out = sops_serialize(*f);
    ASSERT_TRUE(out);
    if (!text.ends_with("\n")) text += "\n";  // the stored JSON fixture lost sops's final newline
    EXPECT_EQ(*out, text);
  }
}

TEST_F(SopsFixtures, LucidEncryptionHasTheFixtureLayoutAndRoundTrips) {
  auto fixture = sops_parse(slurp(flux_dir() / "algorithms_age.yaml"), SopsFormat::kYaml, "fixture");
  ASSERT_TRUE(fixture);
  auto plain = sops_decrypt(*fixture, ids_, "fixture");
  ASSERT_TRUE(plain);
  SopsRules rules;
  rules.encrypted_regex = "^(data|stringData)$";
  auto recipient = ids_[0].recipient();
  auto mine = sops_encrypt(plain->data, SopsFormat::kYaml, std::span(&recipient, 1), rules);
  ASSERT_TRUE(mine) << mine.error().message;
  auto text = sops_serialize(*mine);
  ASSERT_TRUE(text);
  // Same structure line by line: keys, indentation, block style; only ciphertexts, IVs, tags, the
  // age stanza and the time differ.
  auto skeleton = [](const std::string& t) {
    std::string out;
    std::istringstream in(t);
    for (std::string line; std::getline(in, line);) {
      auto colon = line.find(": ");
      if (line.find("ENC[") != std::string::npos || line.find("lastmodified") != std::string::npos)
        line = line.substr(0, colon);
      if (line.starts_with("        ") && line.find(':') == std::string::npos) line = "        <armor>";
      out += line + "\n";
    }
    return out;
  };
  std::string fixture_text = slurp(flux_dir() / "algorithms_age.yaml");
  EXPECT_EQ(skeleton(*text), skeleton(fixture_text));
  auto enc = sops_lookup(mine->data, "stringData.key");
  ASSERT_NE(enc, nullptr);
  auto parts = sops_parse_enc(enc->text);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->iv.size(), 32u);
  EXPECT_EQ(parts->tag.size(), 16u);
  // Back through the parser and decryptor, with the fixture's key.
  auto again = sops_parse(*text, SopsFormat::kYaml, "mine");
  ASSERT_TRUE(again) << again.error().message;
  auto p2 = sops_decrypt(*again, ids_, "mine");
  ASSERT_TRUE(p2) << p2.error().message;
  EXPECT_EQ(value_at(*p2, "stringData.key"), "value");
  EXPECT_EQ(value_at(*p2, "metadata.name"), "age");
}

TEST(SopsDeploy, ReferenceRepoSecretsDecryptWithOperatorAndSiteKeys) {
  fs::path keys = testing::project_vectors_dir() / "deploy-demo-keys";
  fs::path secrets = testing::project_vectors_dir().parent_path().parent_path() / "deploy" / "secrets";
  auto manifest = nlohmann::json::parse(slurp(keys / "manifest.json"));
  auto op = identities(keys / "operator-demo.agekey");
  int files = 0;
  for (const auto& [cluster, values] : manifest["plaintexts"].items()) {
    SCOPED_TRACE(cluster);
    std::string name = cluster + ".enc.yaml";
    auto f = sops_parse(slurp(secrets / name), SopsFormat::kYaml, name);
    ASSERT_TRUE(f) << f.error().message;
    ASSERT_TRUE(sops_check(*f, name));
    for (const auto& ids : {op, identities(keys / ("site-" + cluster + ".agekey"))}) {
      auto p = sops_decrypt(*f, ids, name);
      ASSERT_TRUE(p) << p.error().message;
      for (const auto& [path, value] : values.items())
        EXPECT_EQ(value_at(*p, path), value.get<std::string>()) << path;
      EXPECT_EQ(value_at(*p, "cluster_unencrypted"), cluster);
    }
    // Another site's key is a wrong key.
    std::string other = cluster == "admin-1" ? "relay-1" : "admin-1";
    auto wrong = sops_decrypt(*f, identities(keys / ("site-" + other + ".agekey")), name);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("wrong key"), std::string::npos) << wrong.error().message;
    ++files;
  }
  EXPECT_EQ(files, 7);
}

// --- Lucid's own files ---------------------------------------------------------------------------

struct Keys {
  X25519Identity id = X25519Identity::generate();
  X25519Recipient r = id.recipient();
  std::span<const X25519Identity> ids() const { return {&id, 1}; }
  std::span<const X25519Recipient> rs() const { return {&r, 1}; }
};

const char* kPlainYaml =
    "db:\n"
    "  user: admin\n"
    "  password: s3cr3t-pa55\n"
    "  port: 5432\n"
    "  ratio: 1.5\n"
    "  enabled: true\n"
    "  nothing: null\n"
    "  empty: \"\"\n"
    "list:\n"
    "  - one\n"
    "  - two: 2\n"
    "note_unencrypted: visible\n"
    "multi: |\n"
    "  line one\n"
    "  line two\n";

std::string encrypt_text(const Keys& k, const std::string& plain, SopsFormat format, SopsRules rules = {}) {
  auto tree = sops_load(plain, format, "plain");
  EXPECT_TRUE(tree) << tree.error().message;
  auto f = sops_encrypt(std::move(*tree), format, k.rs(), rules);
  EXPECT_TRUE(f) << f.error().message;
  return *sops_serialize(*f);
}

Result<SopsPlain> decrypt_text(const Keys& k, const std::string& text,
                               SopsFormat format = SopsFormat::kYaml) {
  auto f = sops_parse(text, format, "f");
  if (!f) return std::unexpected(f.error());
  return sops_decrypt(*f, k.ids(), "f");
}

TEST(Sops, YamlRoundTripKeepsTypesAndSelectors) {
  Keys k;
  std::string text = encrypt_text(k, kPlainYaml, SopsFormat::kYaml);
  EXPECT_EQ(text.find("s3cr3t"), std::string::npos);
  EXPECT_NE(text.find("note_unencrypted: visible"), std::string::npos);
  EXPECT_NE(text.find("type:int]"), std::string::npos);
  EXPECT_NE(text.find("type:float]"), std::string::npos);
  EXPECT_NE(text.find("type:bool]"), std::string::npos);
  EXPECT_NE(text.find("  empty: \"\"\n"), std::string::npos) << text;  // SOPS leaves "" as ""
  EXPECT_NE(text.find("  nothing: null\n"), std::string::npos);
  EXPECT_NE(text.find("unencrypted_suffix: _unencrypted"), std::string::npos);
  auto f = sops_parse(text, SopsFormat::kYaml, "f");
  ASSERT_TRUE(f);
  EXPECT_TRUE(sops_check(*f, "f"));
  auto p = decrypt_text(k, text);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(*sops_emit(p->data, SopsFormat::kYaml), kPlainYaml);
}

TEST(Sops, JsonAndDotenvRoundTrip) {
  Keys k;
  std::string json = "{\n\t\"a\": \"x<&>\",\n\t\"n\": 5,\n\t\"b\": [\n\t\ttrue,\n\t\tnull\n\t]\n}\n";
  auto p = decrypt_text(k, encrypt_text(k, json, SopsFormat::kJson), SopsFormat::kJson);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(
      *sops_emit(p->data, SopsFormat::kJson),
      "{\n\t\"a\": \"x\\u003c\\u0026\\u003e\",\n\t\"n\": 5,\n\t\"b\": [\n\t\ttrue,\n\t\tnull\n\t]\n}\n");
  std::string env = "A=1\nB=two\\nlines\nC_unencrypted=clear\n";
  std::string enc = encrypt_text(k, env, SopsFormat::kDotenv);
  EXPECT_NE(enc.find("C_unencrypted=clear\n"), std::string::npos);
  EXPECT_NE(enc.find("sops_age__list_0__map_recipient=" + k.r.to_string()), std::string::npos);
  auto pe = decrypt_text(k, enc, SopsFormat::kDotenv);
  ASSERT_TRUE(pe) << pe.error().message;
  EXPECT_EQ(*sops_emit(pe->data, SopsFormat::kDotenv), env);
}

TEST(Sops, MacOnlyEncryptedAndRegexSelectors) {
  Keys k;
  SopsRules rules;
  rules.encrypted_regex = "^password$";
  rules.mac_only_encrypted = true;
  std::string text = encrypt_text(k, kPlainYaml, SopsFormat::kYaml, rules);
  EXPECT_NE(text.find("  user: admin\n"), std::string::npos);
  EXPECT_NE(text.find("mac_only_encrypted: true"), std::string::npos);
  // With mac_only_encrypted, a value left in clear may change without breaking the MAC ...
  std::string changed = text;
  changed.replace(changed.find("user: admin"), 11, "user: other");
  ASSERT_TRUE(decrypt_text(k, changed));
  // ... but without it, it may not.
  rules.mac_only_encrypted = false;
  std::string strict = encrypt_text(k, kPlainYaml, SopsFormat::kYaml, rules);
  strict.replace(strict.find("user: admin"), 11, "user: other");
  auto r = decrypt_text(k, strict);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("MAC mismatch"), std::string::npos);
}

TEST(Sops, ReencryptKeepsUnchangedValuesByteForByte) {
  Keys k;
  std::string text = encrypt_text(k, kPlainYaml, SopsFormat::kYaml);
  auto f = sops_parse(text, SopsFormat::kYaml, "f");
  auto p = sops_decrypt(*f, k.ids(), "f");
  ASSERT_TRUE(p);
  SopsNode edited = p->data;
  edited.find("db")->find("password")->text = "new-password";
  auto out = sops_reencrypt(*f, *p, std::move(edited));
  ASSERT_TRUE(out);
  EXPECT_EQ(sops_lookup(out->data, "db.user")->text, sops_lookup(f->data, "db.user")->text);
  EXPECT_EQ(sops_lookup(out->data, "db.port")->text, sops_lookup(f->data, "db.port")->text);
  EXPECT_NE(sops_lookup(out->data, "db.password")->text, sops_lookup(f->data, "db.password")->text);
  EXPECT_EQ(out->meta.groups[0][0].enc, f->meta.groups[0][0].enc);  // same data key
  auto p2 = decrypt_text(k, *sops_serialize(*out));
  ASSERT_TRUE(p2) << p2.error().message;
  EXPECT_EQ(value_at(*p2, "db.password"), "new-password");
}

// --- refusals --------------------------------------------------------------------------------------

std::string flip_in(std::string text, const std::string& anchor, std::size_t offset) {
  auto at = text.find(anchor);
  if (at == std::string::npos) throw std::runtime_error("anchor not found: " + anchor);
  char& c = text[at + anchor.size() + offset];
  c = c == 'A' ? 'B' : 'A';
  return text;
}

void expect_refused(const Keys& k, const std::string& text, const std::string& names) {
  auto r = decrypt_text(k, text);
  ASSERT_FALSE(r) << "accepted a tampered file, expected a message naming " << names;
  EXPECT_NE(r.error().message.find(names), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(r.error().message.find("s3cr3t"), std::string::npos);
}

TEST(SopsRefuses, AFlippedByteAnywhereThatMatters) {
  Keys k;
  std::string text = encrypt_text(k, kPlainYaml, SopsFormat::kYaml);
  ASSERT_TRUE(decrypt_text(k, text));
  expect_refused(k, flip_in(text, "password: ENC[AES256_GCM,data:", 2), "db.password");
  {
    std::size_t iv = text.find(",iv:", text.find("password: ENC[")) + 4;  // a byte of the IV
    std::string t = text;
    t[iv + 3] = t[iv + 3] == 'A' ? 'B' : 'A';
    expect_refused(k, t, "db.password");
    std::size_t tag = text.find(",tag:", iv) + 5;  // a byte of the tag
    t = text;
    t[tag + 3] = t[tag + 3] == 'A' ? 'B' : 'A';
    expect_refused(k, t, "db.password");
  }
  expect_refused(k, flip_in(text, "note_unencrypted: ", 1), "MAC mismatch");
  expect_refused(k, flip_in(text, "mac: ENC[AES256_GCM,data:", 5), "sops.mac");
  expect_refused(k, flip_in(text, "lastmodified: \"", 16), "lastmodified");
  {  // a still-valid time: the MAC no longer authenticates
    std::string t = text;
    std::size_t year = t.find("lastmodified: \"") + 15;
    t[year] = t[year] == '2' ? '3' : '2';
    expect_refused(k, t, "sops.mac does not authenticate with sops.lastmodified");
  }
  // The data key: a byte of the X25519 stanza body, and of the encrypted file key body.
  std::string armor_line = "-----BEGIN AGE ENCRYPTED FILE-----\n        ";
  expect_refused(k, flip_in(text, armor_line, 60), "data key");
  expect_refused(k, flip_in(text, armor_line, 65 + 8 + 50), "data key");
}

TEST(SopsRefuses, WrongKeyNonSopsYamlAndMalformedInput) {
  Keys k, other;
  std::string text = encrypt_text(k, kPlainYaml, SopsFormat::kYaml);
  auto r = decrypt_text(other, text);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("wrong key"), std::string::npos) << r.error().message;
  auto plain = sops_parse(kPlainYaml, SopsFormat::kYaml, "plain.yaml");
  ASSERT_FALSE(plain);
  EXPECT_NE(plain.error().message.find("not a SOPS file"), std::string::npos);
  auto truncated = sops_parse(text.substr(0, text.size() / 2), SopsFormat::kYaml, "t.yaml");
  EXPECT_FALSE(truncated && decrypt_text(k, text.substr(0, text.size() / 2)));
  // A plaintext value where an encrypted one belongs: not fully encrypted.
  std::string partial = text;
  auto at = partial.find("  user: ENC[");
  partial.replace(at, partial.find('\n', at) - at, "  user: admin");
  auto f = sops_parse(partial, SopsFormat::kYaml, "p.yaml");
  ASSERT_TRUE(f);
  auto c = sops_check(*f, "p.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("db.user"), std::string::npos) << c.error().message;
  // Malformed armor in the data key.
  std::string bad_armor = text;
  bad_armor.replace(bad_armor.find("-----END AGE"), 5, "----X");
  auto fb = sops_parse(bad_armor, SopsFormat::kYaml, "a.yaml");
  ASSERT_TRUE(fb);
  auto cb = sops_check(*fb, "a.yaml");
  ASSERT_FALSE(cb);
  EXPECT_NE(cb.error().message.find("sops.age[0].enc"), std::string::npos) << cb.error().message;
  auto db = sops_decrypt(*fb, k.ids(), "a.yaml");
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("data key"), std::string::npos) << db.error().message;
}

}  // namespace
}  // namespace lucid::sops
