// Deciding whether a git commit is trusted: it carries an SSH signature (namespace "git") that covers
// it, by a key in the allowed_signers of the trust root (the operator's file or a trusted commit).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::gitsig {

// Where the allowed signers come from: exactly one of the two is set.
struct TrustRoot {
  std::optional<std::string> allowed_signers_file;  // the operator's own copy (first trust)
  std::optional<std::string> trusted_commit;        // its tree's policies/allowed_signers is used
};

inline constexpr std::string_view kAllowedSignersPath = "policies/allowed_signers";

enum class Refusal {
  kUnsigned,            // no gpgsig header
  kNotSsh,              // PGP, X.509 or unknown signature format
  kMalformedSignature,  // armor, SSHSIG fields or key cannot be parsed
  kWrongNamespace,      // SSHSIG namespace is not "git"
  kNotCovered,          // the signature does not verify over the commit payload
  kUnknownSigner,       // the key is not in allowed_signers (or not for namespace git)
  kSignerNotValid,      // listed, but outside valid-after/valid-before at the committer time
  kNotDescendant,       // the commit does not descend from the trusted commit
};
std::string_view refusal_code(Refusal r);  // "unsigned", "not-ssh", … (for --json)

struct CommitVerdict {
  std::string commit;                 // full commit id
  std::optional<Refusal> refusal;     // nullopt: accepted
  std::string reason;                 // one line, when refused
  std::string principals;             // the allowed_signers principals of the signer, when accepted
  std::string key_type;               // of the signing key, when the signature parsed
  std::string fingerprint;            // "SHA256:…", when the signature parsed
  std::string trust_source;           // "FILE" or "COMMIT:policies/allowed_signers"
  std::string signer_line;            // "FILE:LINE" of the matching allowed_signers line
  std::vector<std::string> findings;  // allowed_signers lines that were ignored, with why

  bool accepted() const { return !refusal.has_value(); }
};

// Errors (not verdicts) are for what prevents a decision: REPO not a repository, REV unknown, the
// trust root unreadable or malformed (naming file:line), git missing.
Result<CommitVerdict> verify_commit(const std::string& repo, std::string_view rev, const TrustRoot& trust);

}  // namespace lucid::gitsig
