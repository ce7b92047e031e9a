#include "lucid/gitsig/commit_signature.h"

#include <charconv>

namespace lucid::gitsig {
namespace {

std::optional<std::int64_t> committer_time(std::string_view line) {
  // "committer Name <email> 1700000000 +0000\n"
  std::size_t gt = line.rfind('>');
  if (gt == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(gt + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  std::int64_t t = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), t);
  if (ec != std::errc() || ptr == rest.data()) return std::nullopt;
  return t;
}

}  // namespace

SplitCommit split_commit_signature(std::string_view raw, bool sha256_repo) {
  const std::string_view own = sha256_repo ? "gpgsig-sha256 " : "gpgsig ";
  const std::string_view other = sha256_repo ? "gpgsig " : "gpgsig-sha256 ";
  SplitCommit out;
  enum { kNo, kOwn, kOther } in_signature = kNo;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t next = raw.find('\n', pos);
    next = next == std::string_view::npos ? raw.size() : next + 1;
    std::string_view line = raw.substr(pos, next - pos);
    if (in_signature != kNo && line.front() == ' ') {
      if (in_signature == kOwn) out.signature.append(line.substr(1));
    } else if (line.starts_with(own)) {
      in_signature = kOwn;
      out.signature.append(line.substr(own.size()));
    } else if (line.starts_with(other)) {
      in_signature = kOther;
    } else {
      in_signature = kNo;
      if (line.starts_with("committer ")) out.committer_time = committer_time(line);
      if (line.front() == '\n') next = raw.size();  // end of headers: the message is copied whole
      out.payload.append(raw.substr(pos, next - pos));
    }
    pos = next;
  }
  return out;
}

SignatureFormat signature_format(std::string_view signature) {
  if (signature.empty()) return SignatureFormat::kNone;
  if (signature.starts_with("-----BEGIN SSH SIGNATURE-----")) return SignatureFormat::kSsh;
  if (signature.starts_with("-----BEGIN PGP SIGNATURE-----") ||
      signature.starts_with("-----BEGIN PGP MESSAGE-----"))
    return SignatureFormat::kPgp;
  if (signature.starts_with("-----BEGIN SIGNED MESSAGE-----")) return SignatureFormat::kX509;
  return SignatureFormat::kUnknown;
}

}  // namespace lucid::gitsig
