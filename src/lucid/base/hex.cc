#include "lucid/base/hex.h"

#include <fmt/format.h>

namespace lucid {
namespace {
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

Status from_hex_into(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != out.size() * 2) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("expected {} hex characters, got {}", out.size() * 2, text.size()));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(text[2 * i]);
    int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("non-hex character at position {}", hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return {};
}

Result<std::vector<std::uint8_t>> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return fail(ErrorKind::kInvalidArgument, "odd number of hex characters");
  std::vector<std::uint8_t> out(text.size() / 2);
  if (auto s = from_hex_into(text, out); !s) return std::unexpected(s.error());
  return out;
}

}  // namespace lucid
