#include "lucid/gitsig/allowed_signers.h"

#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "lucid/base/files.h"

namespace lucid::gitsig {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

void skip_space(std::string_view& s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
}

// A field that ends at unquoted whitespace; quotes stay in the field. Fails on an unclosed quote.
std::optional<std::string_view> take_field(std::string_view& s) {
  bool quoted = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (!quoted && is_space(s[i])) break;
  }
  if (quoted) return std::nullopt;
  std::string_view field = s.substr(0, i);
  s.remove_prefix(i);
  skip_space(s);
  return field;
}

bool match_pattern(std::string_view text, std::string_view pattern) {
  // Iterative glob with backtracking over the last '*'.
  std::size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return std::string(v.substr(1, v.size() - 2));
  return std::string(v);
}

// Splits the options field at commas outside quotes.
std::vector<std::string_view> split_options(std::string_view s) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] == '"') quoted = !quoted;
    if (i == s.size() || (!quoted && s[i] == ',')) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

bool match_pattern_list(std::string_view text, std::string_view pattern_list) {
  bool matched = false;
  std::size_t start = 0;
  while (start <= pattern_list.size()) {
    std::size_t comma = pattern_list.find(',', start);
    if (comma == std::string_view::npos) comma = pattern_list.size();
    std::string_view pat = pattern_list.substr(start, comma - start);
    start = comma + 1;
    bool negated = !pat.empty() && pat.front() == '!';
    if (negated) pat.remove_prefix(1);
    if (pat.empty()) continue;
    if (match_pattern(text, pat)) {
      if (negated) return false;  // a matching negation always wins
      matched = true;
    }
  }
  return matched;
}

std::optional<std::int64_t> parse_signer_time(std::string_view text) {
  bool utc = false;
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
    utc = true;
    text.remove_suffix(1);
  }
  if (text.size() != 8 && text.size() != 12 && text.size() != 14) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  if (text.size() >= 12) {
    tm.tm_hour = num(8, 2);
    tm.tm_min = num(10, 2);
  }
  if (text.size() == 14) tm.tm_sec = num(12, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  tm.tm_isdst = -1;
  std::time_t t = utc ? ::timegm(&tm) : std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

Result<AllowedSigners> parse_allowed_signers(std::string_view text, const std::string& source) {
  AllowedSigners out;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    std::string where = fmt::format("{}:{}", source, line_no);
    auto bad = [&](const std::string& why) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: {} (expected: <principals> [options] <key-type> <base64-key> [comment])",
                              where, why));
    };
    skip_space(line);
    if (line.empty() || line.front() == '#') continue;

    auto principals = take_field(line);
    if (!principals) return bad("unclosed quote in the principals");
    std::string principal_list = unquote(*principals);
    if (principal_list.empty()) return bad("empty principals");

    auto next = take_field(line);
    if (!next || next->empty()) return bad("missing key");
    AllowedSigner signer;
    signer.principals = principal_list;
    signer.where = where;
    bool cert_authority = false;
    if (!looks_like_key_type(*next)) {
      for (std::string_view opt : split_options(*next)) {
        if (opt.empty()) return bad("empty option");
        if (iequals_prefix(opt, "cert-authority") && opt.size() == 14) {
          cert_authority = true;
        } else if (iequals_prefix(opt, "namespaces=")) {
          signer.namespaces = unquote(opt.substr(11));
        } else if (iequals_prefix(opt, "valid-after=") || iequals_prefix(opt, "valid-before=")) {
          bool after = iequals_prefix(opt, "valid-after=");
          std::string value = unquote(opt.substr(after ? 12 : 13));
          auto t = parse_signer_time(value);
          if (!t) return bad(fmt::format("bad time \"{}\" (YYYYMMDD[HHMM[SS]][Z])", value));
          (after ? signer.valid_after : signer.valid_before) = *t;
        } else {
          return bad(fmt::format("unsupported option \"{}\"", opt));
        }
      }
      next = take_field(line);
      if (!next || next->empty()) return bad("missing key type");
    }
    std::string_view key_type = *next;
    auto key_b64 = take_field(line);
    if (!key_b64 || key_b64->empty()) return bad("missing base64 key");
    if (cert_authority) {
      out.findings.push_back(
          fmt::format("{}: cert-authority entries are not supported; line ignored", where));
      continue;
    }
    if (!is_supported_key_type(key_type)) {
      if (!looks_like_key_type(key_type)) return bad(fmt::format("unknown key type \"{}\"", key_type));
      out.findings.push_back(fmt::format("{}: key type {} is not supported; line ignored", where, key_type));
      continue;
    }
    auto key = parse_public_key_text(key_type, *key_b64);
    if (!key) return bad(key.error().message);
    signer.key = std::move(*key);
    out.signers.push_back(std::move(signer));
  }
  return out;
}

Result<AllowedSigners> read_allowed_signers(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  return parse_allowed_signers(*text, path);
}

SignerMatch find_signer(const AllowedSigners& signers, const SshPublicKey& key, std::string_view ns,
                        std::int64_t when) {
  SignerMatch match;
  match.miss = SignerMiss::kUnknownKey;
  for (const auto& s : signers.signers) {
    if (s.key != key) continue;
    if (s.namespaces && !match_pattern_list(ns, *s.namespaces)) {
      match.miss = SignerMiss::kNamespace;
      continue;
    }
    if (s.valid_after && when < *s.valid_after) {
      match.miss = SignerMiss::kNotYetValid;
      continue;
    }
    if (s.valid_before && when > *s.valid_before) {
      match.miss = SignerMiss::kExpired;
      continue;
    }
    match.signer = &s;
    match.miss.reset();
    return match;
  }
  return match;
}

}  // namespace lucid::gitsig
