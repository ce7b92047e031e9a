#include "lucid/base/bech32.h"

#include <array>

#include <fmt/format.h>

namespace lucid {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::array<std::uint32_t, 5> kGenerator = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                                     0x2a1462b3};

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
char to_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

int charset_index(char c) {
  for (int i = 0; i < 32; ++i)
    if (kCharset[i] == c) return i;
  return -1;
}

// BIP-173 checksum state over the expanded (lower-case) HRP followed by 5-bit values.
class Polymod {
 public:
  explicit Polymod(std::string_view hrp_lower) {
    for (char c : hrp_lower) feed(static_cast<std::uint8_t>(c) >> 5);
    feed(0);
    for (char c : hrp_lower) feed(static_cast<std::uint8_t>(c) & 31);
  }
  void feed(std::uint8_t v) {
    std::uint32_t top = chk_ >> 25;
    chk_ = ((chk_ & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk_ ^= kGenerator[static_cast<std::size_t>(i)];
  }
  std::uint32_t value() const { return chk_; }

 private:
  std::uint32_t chk_ = 1;
};

Status check_hrp(std::string_view hrp) {
  if (hrp.empty()) return fail(ErrorKind::kInvalidArgument, "Bech32 human-readable part is empty");
  bool lower = false, upper = false;
  for (std::size_t i = 0; i < hrp.size(); ++i) {
    char c = hrp[i];
    if (c < 33 || c > 126)
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("invalid character in Bech32 human-readable part at position {}", i));
    lower |= c >= 'a' && c <= 'z';
    upper |= c >= 'A' && c <= 'Z';
  }
  if (lower && upper) return fail(ErrorKind::kInvalidArgument, "Bech32 human-readable part has mixed case");
  return {};
}

}  // namespace

Result<std::string> bech32_encode(std::string_view hrp, std::span<const std::uint8_t> data) {
  if (auto s = check_hrp(hrp); !s) return std::unexpected(s.error());
  bool upper = false;
  std::string hrp_lower;
  for (char c : hrp) {
    upper |= c >= 'A' && c <= 'Z';
    hrp_lower += to_lower(c);
  }

  // 8-bit to 5-bit groups, zero-padding the last group.
  SecretBytes values;
  values.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    acc = (acc << 8 | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      values.push_back(static_cast<std::uint8_t>((acc >> bits) & 31));
    }
  }
  if (bits > 0) values.push_back(static_cast<std::uint8_t>((acc << (5 - bits)) & 31));

  Polymod pm(hrp_lower);
  for (std::uint8_t v : values) pm.feed(v);
  for (int i = 0; i < 6; ++i) pm.feed(0);
  std::uint32_t checksum = pm.value() ^ 1;

  std::string out = hrp_lower;
  out.reserve(hrp_lower.size() + 1 + values.size() + 6);
  out += '1';
  for (std::uint8_t v : values) out += kCharset[v];
  for (int i = 0; i < 6; ++i) out += kCharset[(checksum >> (5 * (5 - i))) & 31];
  if (upper)
    for (char& c : out) c = to_upper(c);
  return out;
}

Result<Bech32Decoded> bech32_decode(std::string_view text) {
  bool lower = false, upper = false;
  for (char c : text) {
    lower |= c >= 'a' && c <= 'z';
    upper |= c >= 'A' && c <= 'Z';
  }
  if (lower && upper) return fail(ErrorKind::kInvalidArgument, "Bech32 string has mixed case");
  std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0)
    return fail(ErrorKind::kInvalidArgument, "Bech32 string has no human-readable part and '1' separator");
  if (text.size() - sep - 1 < 6)
    return fail(ErrorKind::kInvalidArgument, "Bech32 data part is shorter than its 6-character checksum");
  std::string_view hrp = text.substr(0, sep);
  if (auto s = check_hrp(hrp); !s) return std::unexpected(s.error());
  std::string hrp_lower;
  for (char c : hrp) hrp_lower += to_lower(c);

  std::string_view part = text.substr(sep + 1);
  SecretBytes values(part.size());
  Polymod pm(hrp_lower);
  for (std::size_t i = 0; i < part.size(); ++i) {
    int v = charset_index(to_lower(part[i]));
    if (v < 0) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("invalid Bech32 character at position {}", sep + 1 + i));
    }
    values[i] = static_cast<std::uint8_t>(v);
    pm.feed(values[i]);
  }
  if (pm.value() != 1) return fail(ErrorKind::kInvalidArgument, "Bech32 checksum does not match");

  // 5-bit to 8-bit groups; the leftover must be under 5 bits and all zero.
  Bech32Decoded out;
  out.hrp = std::string(hrp);
  std::size_t n = part.size() - 6;
  out.data.reserve(n * 5 / 8);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    acc = (acc << 5 | values[i]) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.data.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
    return fail(ErrorKind::kInvalidArgument, "Bech32 data has invalid padding bits");
  return out;
}

}  // namespace lucid
