// Splitting a raw git commit object into the signed payload and its signature exactly as git does
// (the gpgsig header and its space-prefixed continuation lines removed), plus the committer time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lucid::gitsig {

struct SplitCommit {
  std::string payload;                         // the commit object without any gpgsig/gpgsig-sha256 header
  std::string signature;                       // the signature for the repository's hash, "" when unsigned
  std::optional<std::int64_t> committer_time;  // Unix seconds from the committer header
};

// `sha256_repo` selects which header carries the signature ("gpgsig-sha256" vs "gpgsig"); both
// are removed from the payload, as git's parse_buffer_signed_by_header does.
SplitCommit split_commit_signature(std::string_view raw, bool sha256_repo = false);

enum class SignatureFormat { kNone, kSsh, kPgp, kX509, kUnknown };
SignatureFormat signature_format(std::string_view signature);

}  // namespace lucid::gitsig
