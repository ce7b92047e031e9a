#include "lucid/base/base64.h"

#include <array>

#include <fmt/format.h>

namespace lucid {
namespace {

struct Alphabet {
  const char* name;  // in error messages
  const char* chars;
  std::array<std::int8_t, 256> table;
};

constexpr Alphabet make_alphabet(const char* name, const char* chars) {
  Alphabet a{name, chars, {}};
  for (auto& v : a.table) v = -1;
  for (int i = 0; i < 64; ++i) a.table[static_cast<unsigned char>(chars[i])] = static_cast<std::int8_t>(i);
  return a;
}

constexpr Alphabet kStandard =
    make_alphabet("base64", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
constexpr Alphabet kUrl =
    make_alphabet("base64url", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

std::string encode(const Alphabet& alphabet, std::span<const std::uint8_t> bytes, bool padded) {
  const char* chars = alphabet.chars;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    out += chars[v >> 18 & 63];
    out += chars[v >> 12 & 63];
    out += chars[v >> 6 & 63];
    out += chars[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    out += chars[v >> 18 & 63];
    out += chars[v >> 12 & 63];
    if (padded) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8;
    out += chars[v >> 18 & 63];
    out += chars[v >> 12 & 63];
    out += chars[v >> 6 & 63];
    if (padded) out += '=';
  }
  return out;
}

// Decodes `text` after any padding was removed.
Result<std::vector<std::uint8_t>> decode(const Alphabet& alphabet, std::string_view text, bool canonical) {
  std::size_t chars = text.size();
  if (chars % 4 == 1)
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} length {} is impossible", alphabet.name, chars));

  std::vector<std::uint8_t> out;
  out.reserve(base64_decoded_size(chars));
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < chars; ++i) {
    std::int8_t v = alphabet.table[static_cast<unsigned char>(text[i])];
    if (v < 0) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("invalid {} character at position {}", alphabet.name, i));
    }
    acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  if (canonical && bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("non-canonical {}: the unused bits of the last character are not zero", alphabet.name));
  }
  return out;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes, Base64Options options) {
  return encode(kStandard, bytes, options.padded);
}

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text, Base64Options options) {
  std::size_t chars = text.size();
  if (options.padded) {
    if (text.size() % 4 != 0)
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("base64 length {} is not a multiple of 4", text.size()));
    if (chars > 0 && text[chars - 1] == '=') --chars;
    if (chars > 0 && text[chars - 1] == '=') --chars;
  }
  return decode(kStandard, text.substr(0, chars), options.canonical);
}

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
  return encode(kUrl, bytes, false);
}

Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
  return decode(kUrl, text, true);
}

}  // namespace lucid
