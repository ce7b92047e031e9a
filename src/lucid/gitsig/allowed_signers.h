// The ssh-keygen ALLOWED SIGNERS file (git's gpg.ssh.allowedSignersFile): who may sign in which
// namespaces and when. Malformed lines are errors naming file:line; cert-authority lines are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/gitsig/ssh_key.h"

namespace lucid::gitsig {

struct AllowedSigner {
  std::string principals;                    // the comma-separated principal pattern list, as written
  std::optional<std::string> namespaces;     // namespaces="…" pattern list; nullopt: any namespace
  std::optional<std::int64_t> valid_after;   // Unix seconds, inclusive
  std::optional<std::int64_t> valid_before;  // Unix seconds, inclusive (as ssh-keygen)
  SshPublicKey key;
  std::string where;  // "file:line"
};

struct AllowedSigners {
  std::vector<AllowedSigner> signers;
  std::vector<std::string> findings;  // lines that were read but ignored, with the reason
};

// `source` names the text in messages ("policies/allowed_signers", "abc123:policies/…").
Result<AllowedSigners> parse_allowed_signers(std::string_view text, const std::string& source);
Result<AllowedSigners> read_allowed_signers(const std::string& path);

// Why no signer matched, when none did.
enum class SignerMiss { kUnknownKey, kNamespace, kNotYetValid, kExpired };

struct SignerMatch {
  const AllowedSigner* signer = nullptr;  // set when a line allows `key` in `ns` at `when`
  std::optional<SignerMiss> miss;         // otherwise the closest reason
};

// The first line that lists `key` for namespace `ns` and is valid at Unix time `when`.
SignerMatch find_signer(const AllowedSigners& signers, const SshPublicKey& key, std::string_view ns,
                        std::int64_t when);

// ssh_config(5) PATTERNS: '*' and '?' wildcards, comma-separated lists, '!' negation.
bool match_pattern_list(std::string_view text, std::string_view pattern_list);

// YYYYMMDD[HHMM[SS]] with an optional trailing "Z" (UTC; otherwise local time), as ssh-keygen reads it.
std::optional<std::int64_t> parse_signer_time(std::string_view text);

}  // namespace lucid::gitsig
