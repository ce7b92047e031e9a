#include "lucid/crypto/age_header.h"

#include <sodium.h>

#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/crypto/hkdf.h"
#include "lucid/crypto/sodium.h"

namespace lucid::crypto {
namespace {

constexpr Base64Options kRawBase64{.padded = false, .canonical = true};

bool is_vchar_string(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 33 || c > 126) return false;
  return true;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t sp = line.find(' ', start);
    parts.push_back(line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return parts;
}

// Reads lines terminated by LF from a byte buffer.
class LineReader {
 public:
  explicit LineReader(std::span<const std::uint8_t> bytes)
      : text_(reinterpret_cast<const char*>(bytes.data()), bytes.size()) {}
  // The next line without its LF; nullopt when no LF remains (the position is left unchanged).
  std::optional<std::string_view> next() {
    std::size_t lf = text_.find('\n', pos_);
    if (lf == std::string_view::npos) return std::nullopt;
    std::string_view line = text_.substr(pos_, lf - pos_);
    pos_ = lf + 1;
    return line;
  }
  bool starts_with(std::string_view prefix) const { return text_.substr(pos_).starts_with(prefix); }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return text_.size() - pos_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Result<AgeStanza> parse_stanza(LineReader& in, std::size_t number) {
  auto header_fail = [number](const std::string& what) {
    return age_fail(AgeFailure::kHeader, fmt::format("stanza {}: {}", number, what));
  };
  auto line = in.next();
  if (!line) return header_fail("the header ends inside the stanza's first line");
  auto parts = split_spaces(*line);
  if (parts[0] != "->")
    return header_fail(fmt::format("line does not start with \"-> \": {}", age_quote(*line)));
  if (parts.size() < 2) return header_fail("no stanza type or arguments after \"->\"");
  AgeStanza stanza;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (!is_vchar_string(parts[i])) {
      return header_fail(fmt::format("argument {} is empty or has a character outside ASCII 33–126", i));
    }
    stanza.args.emplace_back(parts[i]);
  }
  for (std::size_t body_line = 1;; ++body_line) {
    auto b = in.next();
    if (!b) return header_fail("the header ends inside the stanza body (missing the final short line)");
    if (b->size() > kAgeColumnsPerLine)
      return header_fail(
          fmt::format("body line {} is longer than {} columns", body_line, kAgeColumnsPerLine));
    auto decoded = base64_decode(*b, kRawBase64);
    if (!decoded) {
      if (b->starts_with("->") || b->starts_with("---"))
        return header_fail("body ends without a short final line (an empty line is needed after a full one)");
      return header_fail(fmt::format("body line {}: {}", body_line, decoded.error().message));
    }
    stanza.body.insert(stanza.body.end(), decoded->begin(), decoded->end());
    if (b->size() < kAgeColumnsPerLine) break;  // a short (possibly empty) line ends the body
  }
  return stanza;
}

Status check_stanza(const AgeStanza& stanza, std::size_t number) {
  if (stanza.args.empty())
    return fail(ErrorKind::kInvalidArgument, fmt::format("age stanza {} has no type", number));
  for (const auto& a : stanza.args) {
    if (!is_vchar_string(a))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("age stanza {} has an empty argument or one outside ASCII 33–126", number));
  }
  return {};
}

}  // namespace

Result<ParsedAgeHeader> parse_age_header(std::span<const std::uint8_t> file) {
  LineReader in(file);
  if (!in.starts_with("age-encryption.org/"))
    return age_fail(AgeFailure::kHeader, "not an age file (it does not start with \"age-encryption.org/\")");
  auto version = in.next();
  if (!version) return age_fail(AgeFailure::kHeader, "the version line is not terminated by LF");
  if (*version != kAgeVersionLine) {
    if (*version == std::string(kAgeVersionLine) + "\r")
      return age_fail(AgeFailure::kHeader, "the version line ends in CRLF; age headers use LF only");
    return age_fail(AgeFailure::kHeader, fmt::format("unsupported version line {} (expected \"{}\")",
                                                     age_quote(*version), kAgeVersionLine));
  }

  ParsedAgeHeader parsed;
  while (true) {
    if (in.remaining() < 3)
      return age_fail(AgeFailure::kHeader, "the header ends before the \"---\" MAC line");
    if (in.starts_with("---")) {
      std::size_t start = in.pos();
      auto line = in.next();
      if (!line) return age_fail(AgeFailure::kHeader, "the MAC line is not terminated by LF");
      if (!line->starts_with("--- ") || line->find(' ', 4) != std::string_view::npos)
        return age_fail(AgeFailure::kHeader, "the MAC line is not \"--- \" followed by one base64 value");
      auto mac = base64_decode(line->substr(4), kRawBase64);
      if (!mac) return age_fail(AgeFailure::kHeader, fmt::format("header MAC: {}", mac.error().message));
      if (mac->size() != parsed.header.mac.size())
        return age_fail(AgeFailure::kHeader, fmt::format("header MAC is {} bytes, not 32", mac->size()));
      std::copy(mac->begin(), mac->end(), parsed.header.mac.begin());
      parsed.mac_input_size = start + 3;
      parsed.size = in.pos();
      break;
    }
    auto stanza = parse_stanza(in, parsed.header.stanzas.size() + 1);
    if (!stanza) return std::unexpected(stanza.error());
    parsed.header.stanzas.push_back(std::move(*stanza));
  }
  if (parsed.header.stanzas.empty())
    return age_fail(AgeFailure::kHeader, "the header has no recipient stanzas");
  return parsed;
}

Result<std::string> serialize_age_header_without_mac(const AgeHeader& header) {
  std::string out(kAgeVersionLine);
  out += '\n';
  for (std::size_t i = 0; i < header.stanzas.size(); ++i) {
    const AgeStanza& s = header.stanzas[i];
    if (auto ok = check_stanza(s, i + 1); !ok) return std::unexpected(ok.error());
    out += "->";
    for (const auto& a : s.args) {
      out += ' ';
      out += a;
    }
    out += '\n';
    std::string body = base64_encode(s.body, kRawBase64);
    // Full 64-column lines, then a final line shorter than 64 columns (empty if need be).
    std::size_t pos = 0;
    for (; body.size() - pos >= kAgeColumnsPerLine; pos += kAgeColumnsPerLine) {
      out.append(body, pos, kAgeColumnsPerLine);
      out += '\n';
    }
    out.append(body, pos);
    out += '\n';
  }
  out += "---";
  return out;
}

Result<std::string> serialize_age_header(const AgeHeader& header) {
  auto out = serialize_age_header_without_mac(header);
  if (!out) return out;
  out->push_back(' ');
  out->append(base64_encode(header.mac, kRawBase64));
  out->push_back('\n');
  return out;
}

AgeHeaderMac age_header_mac(const AgeFileKey& file_key, std::span<const std::uint8_t> mac_input) {
  sodium_ready();
  static constexpr std::string_view kInfo = "header";
  SecretArray<32> hmac_key;
  // HKDF with a 32-byte output never fails.
  (void)hkdf_sha256(file_key.span(), {},
                    std::span(reinterpret_cast<const std::uint8_t*>(kInfo.data()), kInfo.size()),
                    hmac_key.span());
  AgeHeaderMac mac{};
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, hmac_key.data(), hmac_key.size());
  crypto_auth_hmacsha256_update(&st, mac_input.data(), mac_input.size());
  crypto_auth_hmacsha256_final(&st, mac.data());
  secure_zero(&st, sizeof st);
  return mac;
}

}  // namespace lucid::crypto
