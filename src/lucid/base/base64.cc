#include "lucid/base/base64.h"

#include <array>

#include <fmt/format.h>

namespace lucid {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kTable = make_table();

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes, Base64Options options) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += kAlphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    if (options.padded) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    if (options.padded) out += '=';
  }
  return out;
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
  if (chars % 4 == 1)
    return fail(ErrorKind::kInvalidArgument, fmt::format("base64 length {} is impossible", chars));

  std::vector<std::uint8_t> out;
  out.reserve(base64_decoded_size(chars));
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < chars; ++i) {
    std::int8_t v = kTable[static_cast<unsigned char>(text[i])];
    if (v < 0) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("invalid base64 character at position {}", i));
    }
    acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  if (options.canonical && bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(ErrorKind::kInvalidArgument,
                "non-canonical base64: the unused bits of the last character are not zero");
  }
  return out;
}

}  // namespace lucid
