#include "lucid/gitsig/verify_commit.h"

#include <fmt/format.h>

#include "lucid/gitsig/allowed_signers.h"
#include "lucid/gitsig/commit_signature.h"
#include "lucid/gitsig/git_repo.h"
#include "lucid/gitsig/sshsig.h"

namespace lucid::gitsig {
namespace {

constexpr std::string_view kGitNamespace = "git";

struct Trust {
  AllowedSigners signers;
  std::string source;
  std::optional<std::string> commit;
};

Result<Trust> load_trust(const std::string& repo, const TrustRoot& root) {
  if (root.allowed_signers_file.has_value() == root.trusted_commit.has_value())
    return fail(ErrorKind::kInvalidArgument,
                "give exactly one trust root: --allowed-signers FILE or --trusted-commit C");
  Trust t;
  if (root.allowed_signers_file) {
    auto s = read_allowed_signers(*root.allowed_signers_file);
    if (!s) return std::unexpected(s.error());
    t.signers = std::move(*s);
    t.source = *root.allowed_signers_file;
    return t;
  }
  auto id = resolve_commit(repo, *root.trusted_commit);
  if (!id) return std::unexpected(with_context("trusted commit", id.error()));
  t.source = fmt::format("{}:{}", *id, kAllowedSignersPath);
  auto text = read_file_at(repo, *id, std::string(kAllowedSignersPath));
  if (!text) return std::unexpected(text.error());
  if (!*text)
    return fail(ErrorKind::kNotFound,
                fmt::format("trusted commit {} has no {}; give the operator's copy with --allowed-signers",
                            *id, kAllowedSignersPath));
  auto s = parse_allowed_signers(**text, t.source);
  if (!s) return std::unexpected(s.error());
  t.signers = std::move(*s);
  t.commit = *id;
  return t;
}

CommitVerdict refuse(CommitVerdict v, Refusal r, std::string reason) {
  v.refusal = r;
  v.reason = std::move(reason);
  return v;
}

}  // namespace

std::string_view refusal_code(Refusal r) {
  switch (r) {
    case Refusal::kUnsigned:
      return "unsigned";
    case Refusal::kNotSsh:
      return "not-ssh";
    case Refusal::kMalformedSignature:
      return "malformed-signature";
    case Refusal::kWrongNamespace:
      return "wrong-namespace";
    case Refusal::kNotCovered:
      return "not-covered";
    case Refusal::kUnknownSigner:
      return "unknown-signer";
    case Refusal::kSignerNotValid:
      return "signer-not-valid";
    case Refusal::kNotDescendant:
      return "not-descendant";
  }
  return "unknown";
}

Result<CommitVerdict> verify_commit(const std::string& repo, std::string_view rev, const TrustRoot& root) {
  auto id = resolve_commit(repo, rev);
  if (!id) return std::unexpected(id.error());
  auto trust = load_trust(repo, root);
  if (!trust) return std::unexpected(trust.error());
  auto raw = read_commit_object(repo, *id);
  if (!raw) return std::unexpected(raw.error());

  CommitVerdict v;
  v.commit = *id;
  v.trust_source = trust->source;
  v.findings = trust->signers.findings;

  if (trust->commit) {
    auto ok = is_ancestor(repo, *trust->commit, *id);
    if (!ok) return std::unexpected(ok.error());
    if (!*ok)
      return refuse(std::move(v), Refusal::kNotDescendant,
                    fmt::format("commit does not descend from the trusted commit {}", *trust->commit));
  }

  SplitCommit split = split_commit_signature(*raw, id->size() == 64);
  switch (signature_format(split.signature)) {
    case SignatureFormat::kNone:
      return refuse(std::move(v), Refusal::kUnsigned,
                    "commit is not signed (sign with git -c gpg.format=ssh commit -S)");
    case SignatureFormat::kPgp:
      return refuse(std::move(v), Refusal::kNotSsh,
                    "commit has a PGP signature; only SSH signatures (gpg.format=ssh) are accepted");
    case SignatureFormat::kX509:
      return refuse(std::move(v), Refusal::kNotSsh,
                    "commit has an X.509 signature; only SSH signatures (gpg.format=ssh) are accepted");
    case SignatureFormat::kUnknown:
      return refuse(std::move(v), Refusal::kNotSsh,
                    "commit signature is in an unknown format; only SSH signatures are accepted");
    case SignatureFormat::kSsh:
      break;
  }

  auto sig = parse_armored_sshsig(split.signature);
  if (!sig)
    return refuse(std::move(v), Refusal::kMalformedSignature,
                  "malformed SSH signature: " + sig.error().message);
  v.key_type = sig->public_key.type;
  v.fingerprint = fingerprint_sha256(sig->public_key);

  auto checked = verify_sshsig(*sig, as_bytes(split.payload), kGitNamespace);
  if (!checked) {
    if (sig->ns != kGitNamespace)
      return refuse(std::move(v), Refusal::kWrongNamespace, checked.error().message);
    if (checked.error().kind == ErrorKind::kAuthentication)
      return refuse(std::move(v), Refusal::kNotCovered,
                    "signature does not cover the commit (the commit was changed after signing)");
    return refuse(std::move(v), Refusal::kMalformedSignature,
                  "malformed SSH signature: " + checked.error().message);
  }

  std::int64_t when = split.committer_time.value_or(0);
  SignerMatch match = find_signer(trust->signers, sig->public_key, kGitNamespace, when);
  if (match.signer == nullptr) {
    std::string key = fmt::format("{} {}", sig->public_key.type, v.fingerprint);
    switch (*match.miss) {
      case SignerMiss::kUnknownKey:
        return refuse(std::move(v), Refusal::kUnknownSigner,
                      fmt::format("signer key {} is not in {}", key, trust->source));
      case SignerMiss::kNamespace:
        return refuse(std::move(v), Refusal::kUnknownSigner,
                      fmt::format("signer key {} is in {} but not for namespace git", key, trust->source));
      case SignerMiss::kNotYetValid:
        return refuse(std::move(v), Refusal::kSignerNotValid,
                      fmt::format("signer key {} is not yet valid at the committer time (valid-after in {})",
                                  key, trust->source));
      case SignerMiss::kExpired:
        return refuse(std::move(v), Refusal::kSignerNotValid,
                      fmt::format("signer key {} had expired at the committer time (valid-before in {})", key,
                                  trust->source));
    }
  }
  v.principals = match.signer->principals;
  v.signer_line = match.signer->where;
  return v;
}

}  // namespace lucid::gitsig
