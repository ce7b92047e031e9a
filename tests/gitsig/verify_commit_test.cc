// verify_commit on real repositories: commits signed by git with ssh-keygen keys (Ed25519, ECDSA
// P-256), unsigned, wrong signer, tampered and grafted objects, and the trusted-commit rule. Each
// verdict is cross-checked with `git verify-commit` where git can judge the same question.
#include <gtest/gtest.h>

#include <fstream>

#include "gitsig/ssh_tools.h"
#include "lucid/gitsig/commit_signature.h"
#include "lucid/gitsig/verify_commit.h"

namespace lucid::gitsig {
namespace {

namespace tt = testing_tools;
namespace fs = std::filesystem;
using lucid::testing::ScratchDir;

class VerifyCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = tt::missing_tools(); !why.empty()) GTEST_SKIP() << why;
    repo_ = dir_ / "repo";
    tt::init_repo(repo_);
    alice_ = tt::make_key(dir_.path(), "alice", "ed25519");
    bob_ = tt::make_key(dir_.path(), "bob", "ecdsa", 256);
    mallory_ = tt::make_key(dir_.path(), "mallory", "ed25519");
    allowed_ = dir_ / "allowed_signers";
    std::ofstream(allowed_) << "# operator copy\nalice@example.test namespaces=\"git\" " << alice_.public_text
                            << "\nbob@example.test " << bob_.public_text << "\n";
  }

  CommitVerdict verify(const std::string& rev, const TrustRoot& trust) {
    auto v = verify_commit(repo_.string(), rev, trust);
    EXPECT_TRUE(v) << (v ? "" : v.error().message);
    return v ? *v : CommitVerdict{};
  }
  CommitVerdict verify_with_file(const std::string& rev) {
    return verify(rev, TrustRoot{allowed_.string(), {}});
  }

  // git's own judgement with the same allowed_signers file (gpg.ssh.allowedSignersFile).
  bool git_accepts(const std::string& rev) {
    auto r =
        tt::git_try(repo_, {"-c", "gpg.ssh.allowedSignersFile=" + allowed_.string(), "verify-commit", rev});
    return r.exit_code == 0;
  }

  std::string raw(const std::string& rev) { return tt::git(repo_, {"cat-file", "commit", rev}); }

  ScratchDir dir_;
  fs::path repo_, allowed_;
  tt::TestKey alice_, bob_, mallory_;
};

TEST_F(VerifyCommit, SignedByAllowedEd25519AndEcdsaKeysIsAccepted) {
  std::string a = tt::commit(repo_, "by alice", &alice_, {{"README", "hello\n"}});
  std::string b = tt::commit(repo_, "by bob", &bob_, {{"README", "hello again\n"}});
  auto va = verify_with_file(a);
  EXPECT_TRUE(va.accepted()) << va.reason;
  EXPECT_EQ(va.commit, a);
  EXPECT_EQ(va.principals, "alice@example.test");
  EXPECT_EQ(va.fingerprint, alice_.fingerprint);
  EXPECT_EQ(va.signer_line, allowed_.string() + ":2");
  auto vb = verify_with_file("HEAD");
  EXPECT_TRUE(vb.accepted()) << vb.reason;
  EXPECT_EQ(vb.commit, b);
  EXPECT_EQ(vb.key_type, "ecdsa-sha2-nistp256");
  EXPECT_EQ(vb.fingerprint, bob_.fingerprint);
  EXPECT_TRUE(git_accepts(a));
  EXPECT_TRUE(git_accepts(b));
}

TEST_F(VerifyCommit, PayloadIsWhatGitSigned) {
  std::string a = tt::commit(repo_, "multi\n\nline message\n", &alice_);
  SplitCommit split = split_commit_signature(raw(a));
  EXPECT_EQ(signature_format(split.signature), SignatureFormat::kSsh);
  EXPECT_EQ(split.payload.find("gpgsig"), std::string::npos);
  // Re-hashing the payload as a commit object gives an unsigned twin of the same content.
  std::string twin = tt::write_commit_object(repo_, split.payload);
  EXPECT_EQ(tt::git(repo_, {"cat-file", "commit", twin}), split.payload);
  EXPECT_TRUE(split.committer_time.has_value());
}

TEST_F(VerifyCommit, UnsignedIsRefused) {
  std::string c = tt::commit(repo_, "unsigned", nullptr);
  auto v = verify_with_file(c);
  ASSERT_FALSE(v.accepted());
  EXPECT_EQ(*v.refusal, Refusal::kUnsigned);
  EXPECT_NE(v.reason.find("not signed"), std::string::npos);
  EXPECT_FALSE(git_accepts(c));
}

TEST_F(VerifyCommit, UnknownSignerIsRefused) {
  std::string c = tt::commit(repo_, "by mallory", &mallory_);
  auto v = verify_with_file(c);
  ASSERT_FALSE(v.accepted());
  EXPECT_EQ(*v.refusal, Refusal::kUnknownSigner);
  EXPECT_EQ(v.fingerprint, mallory_.fingerprint);
  EXPECT_NE(v.reason.find(mallory_.fingerprint), std::string::npos);
  EXPECT_FALSE(git_accepts(c));
}

TEST_F(VerifyCommit, TamperedCommitIsRefused) {
  std::string c = tt::commit(repo_, "original message", &alice_);
  std::string object = raw(c);
  std::size_t at = object.find("original message");
  ASSERT_NE(at, std::string::npos);
  object.replace(at, 8, "modified");
  std::string forged = tt::write_commit_object(repo_, object);
  ASSERT_NE(forged, c);
  auto v = verify_with_file(forged);
  ASSERT_FALSE(v.accepted());
  EXPECT_EQ(*v.refusal, Refusal::kNotCovered);
  EXPECT_NE(v.reason.find("signature does not cover the commit"), std::string::npos);
  EXPECT_FALSE(git_accepts(forged));
  // The same with a changed author line (a header, not the message).
  std::string object2 = raw(c);
  std::size_t author = object2.find("author Test Signer");
  ASSERT_NE(author, std::string::npos);
  object2.replace(author, 18, "author Evil Signer");
  auto v2 = verify_with_file(tt::write_commit_object(repo_, object2));
  EXPECT_EQ(v2.refusal, Refusal::kNotCovered);
}

TEST_F(VerifyCommit, GraftedSignatureNamespaceMustBeGit) {
  std::string u = tt::commit(repo_, "to be grafted", nullptr);
  std::string payload = raw(u);
  // Control: a git-namespace signature grafted the same way is accepted (by us and by git).
  std::string good = tt::write_commit_object(
      repo_, tt::graft_signature(payload, tt::sign(dir_.path(), alice_, "git", payload)));
  auto vg = verify_with_file(good);
  EXPECT_TRUE(vg.accepted()) << vg.reason;
  EXPECT_TRUE(git_accepts(good));
  // The same signer, the same bytes, namespace "file": refused.
  std::string bad = tt::write_commit_object(
      repo_, tt::graft_signature(payload, tt::sign(dir_.path(), alice_, "file", payload)));
  auto vb = verify_with_file(bad);
  ASSERT_FALSE(vb.accepted());
  EXPECT_EQ(*vb.refusal, Refusal::kWrongNamespace);
  EXPECT_NE(vb.reason.find("\"file\""), std::string::npos);
  EXPECT_FALSE(git_accepts(bad));
}

TEST_F(VerifyCommit, PgpAndGarbageSignaturesAreRefused) {
  std::string u = tt::commit(repo_, "pgp", nullptr);
  std::string pgp = tt::write_commit_object(
      repo_,
      tt::graft_signature(raw(u), "-----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----\n"));
  auto v = verify_with_file(pgp);
  EXPECT_EQ(v.refusal, Refusal::kNotSsh);
  EXPECT_NE(v.reason.find("PGP"), std::string::npos);
  std::string junk = tt::write_commit_object(
      repo_,
      tt::graft_signature(raw(u), "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"));
  EXPECT_EQ(verify_with_file(junk).refusal, Refusal::kMalformedSignature);
}

TEST_F(VerifyCommit, ValidityWindowUsesCommitterTime) {
  std::string c = tt::commit(repo_, "late", &alice_);
  std::ofstream(allowed_) << "alice@example.test valid-before=20000101Z " << alice_.public_text << "\n";
  auto v = verify_with_file(c);
  EXPECT_EQ(v.refusal, Refusal::kSignerNotValid);
  std::ofstream(allowed_) << "alice@example.test namespaces=\"file\" " << alice_.public_text << "\n";
  EXPECT_EQ(verify_with_file(c).refusal, Refusal::kUnknownSigner);
}

TEST_F(VerifyCommit, TrustedCommitDecidesAndNewSignersAreNotSelfTrusted) {
  std::string policy_a = "alice@example.test namespaces=\"git\" " + alice_.public_text + "\n";
  std::string a = tt::commit(repo_, "policy: alice", &alice_, {{"policies/allowed_signers", policy_a}});
  std::string b = tt::commit(repo_, "work by alice", &alice_, {{"file", "1\n"}});
  // C adds mallory and is signed by mallory: its own addition does not make it trusted.
  std::string c = tt::commit(
      repo_, "add mallory", &mallory_,
      {{"policies/allowed_signers", policy_a + "mallory@example.test " + mallory_.public_text + "\n"}});
  auto vb = verify(b, TrustRoot{{}, a});
  EXPECT_TRUE(vb.accepted()) << vb.reason;
  EXPECT_EQ(vb.trust_source, a + ":policies/allowed_signers");
  EXPECT_EQ(vb.signer_line, a + ":policies/allowed_signers:1");
  auto vc = verify(c, TrustRoot{{}, b});
  ASSERT_FALSE(vc.accepted());
  EXPECT_EQ(*vc.refusal, Refusal::kUnknownSigner);
  // Once an operator has trusted C (say, after review), mallory's next commit is accepted.
  std::string d = tt::commit(repo_, "mallory again", &mallory_);
  EXPECT_TRUE(verify(d, TrustRoot{{}, c}).accepted());
  // With the operator's file (which lacks mallory) C is refused too.
  EXPECT_EQ(verify_with_file(c).refusal, Refusal::kUnknownSigner);
  // A trusted commit must be an ancestor of the verified one.
  auto back = verify(a, TrustRoot{{}, b});
  EXPECT_EQ(back.refusal, Refusal::kNotDescendant);
}

TEST_F(VerifyCommit, Sha256RepositoryUsesGpgsigSha256) {
  fs::path repo256 = dir_ / "repo256";
  fs::create_directories(repo256);
  auto init = tt::git_try(repo256, {"init", "-q", "--object-format=sha256"});
  if (init.exit_code != 0) GTEST_SKIP() << "git cannot make sha256 repositories: " << init.err;
  tt::git(repo256, {"config", "user.name", "Test Signer"});
  tt::git(repo256, {"config", "user.email", "signer@example.test"});
  std::string c = tt::commit(repo256, "sha256 world", &alice_);
  ASSERT_EQ(c.size(), 64u);
  EXPECT_NE(tt::git(repo256, {"cat-file", "commit", c}).find("\ngpgsig-sha256 "), std::string::npos);
  auto v = verify_commit(repo256.string(), c, TrustRoot{allowed_.string(), {}});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->accepted()) << v->reason;
}

TEST_F(VerifyCommit, BadInputIsAnError) {
  std::string a = tt::commit(repo_, "x", &alice_);
  auto no_repo = verify_commit((dir_ / "nope").string(), "HEAD", TrustRoot{allowed_.string(), {}});
  ASSERT_FALSE(no_repo);
  EXPECT_NE(no_repo.error().message.find("no such directory"), std::string::npos);
  auto not_repo = verify_commit(dir_.path().string(), "HEAD", TrustRoot{allowed_.string(), {}});
  ASSERT_FALSE(not_repo);
  EXPECT_NE(not_repo.error().message.find("not a git repository"), std::string::npos);
  auto bad_rev = verify_commit(repo_.string(), "no-such-branch", TrustRoot{allowed_.string(), {}});
  ASSERT_FALSE(bad_rev);
  EXPECT_NE(bad_rev.error().message.find("no-such-branch"), std::string::npos);
  auto dash_rev = verify_commit(repo_.string(), "--all", TrustRoot{allowed_.string(), {}});
  EXPECT_FALSE(dash_rev);
  auto tree = verify_commit(repo_.string(), a + "^{tree}", TrustRoot{allowed_.string(), {}});
  EXPECT_FALSE(tree);
  std::ofstream(allowed_) << "# ok\nalice@example.test ssh-ed25519 AAAA@@\n";
  auto malformed = verify_commit(repo_.string(), a, TrustRoot{allowed_.string(), {}});
  ASSERT_FALSE(malformed);
  EXPECT_NE(malformed.error().message.find(allowed_.string() + ":2:"), std::string::npos)
      << malformed.error().message;
  auto no_policy = verify_commit(repo_.string(), a, TrustRoot{{}, a});
  ASSERT_FALSE(no_policy);
  EXPECT_NE(no_policy.error().message.find("has no policies/allowed_signers"), std::string::npos);
  auto both = verify_commit(repo_.string(), a, TrustRoot{allowed_.string(), a});
  EXPECT_FALSE(both);
}

}  // namespace
}  // namespace lucid::gitsig
