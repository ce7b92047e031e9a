// SSHSIG parsing and verification against signatures made by the real ssh-keygen at test time, and
// cross-checked with ssh-keygen -Y verify (both accept or both refuse).
#include <gtest/gtest.h>

#include <fstream>

#include "gitsig/ssh_tools.h"
#include "lucid/base/base64.h"
#include "lucid/gitsig/allowed_signers.h"
#include "lucid/gitsig/ssh_wire.h"
#include "lucid/gitsig/sshsig.h"

namespace lucid::gitsig {
namespace {

namespace tt = testing_tools;
namespace fs = std::filesystem;
using lucid::testing::ScratchDir;

TEST(SshWire, ReadsAndRefusesTruncation) {
  Bytes b;
  put_u32(b, 7);
  put_string(b, std::string_view("abc"));
  SshReader r(b);
  EXPECT_EQ(*r.u32("n"), 7u);
  EXPECT_EQ(*r.text("s"), "abc");
  EXPECT_TRUE(r.done("x"));
  Bytes t = {0, 0, 0, 9, 'a'};
  SshReader r2(t);
  auto s = r2.string("field");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("field: truncated"), std::string::npos);
}

TEST(SshWire, MpintRules) {
  Bytes neg;
  put_string(neg, Bytes{0x80, 1});
  EXPECT_FALSE(SshReader(neg).positive_mpint("r"));
  Bytes needless;
  put_string(needless, Bytes{0x00, 0x01});
  EXPECT_FALSE(SshReader(needless).positive_mpint("r"));
  Bytes padded;
  put_string(padded, Bytes{0x00, 0x81});
  auto v = SshReader(padded).positive_mpint("r");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0], 0x81);
}

struct KeyCase {
  const char* kind;
  int bits;
};

class SshsigVsSshKeygen : public ::testing::TestWithParam<KeyCase> {};

TEST_P(SshsigVsSshKeygen, AgreesOnValidTamperedAndWrongNamespace) {
  if (auto why = tt::missing_tools(); !why.empty()) GTEST_SKIP() << why;
  ScratchDir dir;
  tt::TestKey key = tt::make_key(dir.path(), "k", GetParam().kind, GetParam().bits);
  tt::TestKey other = tt::make_key(dir.path(), "other", "ed25519");
  fs::path allowed = dir / "allowed_signers";
  std::ofstream(allowed) << "alice@example.test namespaces=\"git\" " << key.public_text << "\n";

  const std::string message = "tree 0123\nauthor x\n\nthe message\n";
  const std::string git_sig = tt::sign(dir.path(), key, "git", message);
  const std::string file_sig = tt::sign(dir.path(), key, "file", message);
  const std::string other_sig = tt::sign(dir.path(), other, "git", message);

  // Ours: the fingerprint matches ssh-keygen -l, and the key type is what ssh-keygen wrote.
  auto parsed = parse_armored_sshsig(git_sig);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->public_key.type, key.type);
  EXPECT_EQ(fingerprint_sha256(parsed->public_key), key.fingerprint);
  EXPECT_EQ(parsed->ns, "git");

  auto signers = read_allowed_signers(allowed.string());
  ASSERT_TRUE(signers) << signers.error().message;
  auto ours = [&](const std::string& sig, const std::string& msg) {
    auto s = parse_armored_sshsig(sig);
    if (!s) return false;
    if (!verify_sshsig(*s, as_bytes(msg), "git")) return false;
    return find_signer(*signers, s->public_key, "git", 0).signer != nullptr;
  };
  auto theirs = [&](const std::string& sig, const std::string& msg) {
    return tt::ssh_keygen_verifies(dir.path(), allowed, "alice@example.test", "git", sig, msg);
  };
  struct Case {
    const char* name;
    std::string sig, msg;
    bool expected;
  } cases[] = {
      {"valid", git_sig, message, true},
      {"tampered message", git_sig, message + "x", false},
      {"namespace file", file_sig, message, false},
      {"unknown signer", other_sig, message, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ours(c.sig, c.msg), c.expected) << c.name;
    EXPECT_EQ(theirs(c.sig, c.msg), c.expected) << c.name << " (ssh-keygen)";
  }
  auto wrong_ns = parse_armored_sshsig(file_sig);
  ASSERT_TRUE(wrong_ns);
  auto st = verify_sshsig(*wrong_ns, as_bytes(message), "git");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("namespace is \"file\""), std::string::npos);
  auto tampered = verify_sshsig(*parsed, as_bytes(message + "x"), "git");
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().kind, ErrorKind::kAuthentication);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, SshsigVsSshKeygen,
                         ::testing::Values(KeyCase{"ed25519", 0}, KeyCase{"ecdsa", 256},
                                           KeyCase{"ecdsa", 384}, KeyCase{"ecdsa", 521},
                                           KeyCase{"rsa", 2048}),
                         [](const ::testing::TestParamInfo<KeyCase>& param_info) {
                           return std::string(param_info.param.kind) +
                                  (param_info.param.bits != 0 ? std::to_string(param_info.param.bits) : "");
                         });

TEST(Sshsig, EveryFlippedSignatureByteIsRefused) {
  if (auto why = tt::missing_tools(); !why.empty()) GTEST_SKIP() << why;
  ScratchDir dir;
  tt::TestKey key = tt::make_key(dir.path(), "k", "ed25519");
  const std::string message = "payload\n";
  auto blob = dearmor_sshsig(tt::sign(dir.path(), key, "git", message));
  ASSERT_TRUE(blob) << blob.error().message;
  auto good = parse_sshsig(*blob);
  ASSERT_TRUE(good);
  ASSERT_TRUE(verify_sshsig(*good, as_bytes(message), "git"));
  int refused = 0;
  for (std::size_t i = 0; i < blob->size(); ++i) {
    Bytes b = *blob;
    b[i] ^= 0x01;
    auto s = parse_sshsig(b);
    if (!s || !verify_sshsig(*s, as_bytes(message), "git")) ++refused;
  }
  // Every byte is covered: magic, lengths, key, namespace, hash name, signature.
  EXPECT_EQ(refused, static_cast<int>(blob->size()));
}

TEST(Sshsig, Sha256AndSha512HashAlgorithms) {
  if (auto why = tt::missing_tools(); !why.empty()) GTEST_SKIP() << why;
  ScratchDir dir;
  tt::TestKey key = tt::make_key(dir.path(), "k", "ecdsa", 256);
  const std::string message = "payload\n";
  for (const char* alg : {"sha256", "sha512"}) {
    auto sig = parse_armored_sshsig(
        tt::sign(dir.path(), key, "git", message, {"-O", std::string("hashalg=") + alg}));
    ASSERT_TRUE(sig) << sig.error().message;
    EXPECT_EQ(sig->hash_algorithm, alg);
    EXPECT_TRUE(verify_sshsig(*sig, as_bytes(message), "git")) << alg;
    EXPECT_FALSE(verify_sshsig(*sig, as_bytes(message + " "), "git")) << alg;
  }
}

TEST(Sshsig, ArmorAndStructureErrors) {
  EXPECT_FALSE(dearmor_sshsig("nothing here"));
  EXPECT_FALSE(dearmor_sshsig("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n"));  // no END
  EXPECT_FALSE(dearmor_sshsig("-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n"));
  Bytes v2;
  put_raw(v2, "SSHSIG");
  put_u32(v2, 2);
  auto s = parse_sshsig(v2);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("version 2"), std::string::npos);
  auto t =
      parse_armored_sshsig("-----BEGIN SSH SIGNATURE-----\n" +
                           base64_encode(as_bytes("SSHSIG\x00\x00\x00\x01" + std::string("\x00\x00", 2))) +
                           "\n-----END SSH SIGNATURE-----\n");
  EXPECT_FALSE(t);
}

}  // namespace
}  // namespace lucid::gitsig
