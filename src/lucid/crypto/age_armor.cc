#include "lucid/crypto/age_armor.h"

#include <optional>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/crypto/age_common.h"

namespace lucid::crypto {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool all_space(std::string_view s) {
  for (char c : s)
    if (!is_space(c)) return false;
  return true;
}

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

std::string age_armor(std::span<const std::uint8_t> binary) {
  std::string body = base64_encode(binary);
  std::string out(kAgeArmorBegin);
  out.reserve(body.size() + body.size() / kAgeColumnsPerLine + 80);
  out += '\n';
  for (std::size_t pos = 0; pos < body.size(); pos += kAgeColumnsPerLine) {
    out.append(body, pos, kAgeColumnsPerLine);
    out += '\n';
  }
  out += kAgeArmorEnd;
  out += '\n';
  return out;
}

bool age_is_armored(std::span<const std::uint8_t> file) {
  std::string_view text = as_text(file);
  if (text.starts_with("age-encryption.org/")) return false;
  std::size_t start = 0;
  while (start < text.size() && is_space(text[start])) ++start;
  return text.substr(start).starts_with("-----") ||
         text.find("BEGIN AGE ENCRYPTED FILE") != std::string_view::npos;
}

Result<std::vector<std::uint8_t>> age_dearmor(std::span<const std::uint8_t> file) {
  std::string_view text = as_text(file);
  std::size_t pos = 0;
  std::size_t line_no = 0;
  // The next line without LF and one trailing CR; nullopt at the end of the input. The last line
  // may end without LF.
  auto next_line = [&]() -> std::optional<std::string_view> {
    if (pos >= text.size()) return std::nullopt;
    std::size_t lf = text.find('\n', pos);
    std::size_t end = lf == std::string_view::npos ? text.size() : lf;
    std::string_view line = text.substr(pos, end - pos);
    pos = lf == std::string_view::npos ? text.size() : lf + 1;
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
  };
  auto armor_fail = [&](const std::string& what) {
    return age_fail(AgeFailure::kArmor, fmt::format("line {}: {}", line_no, what));
  };

  // Whitespace-only lines may precede the BEGIN line.
  std::optional<std::string_view> line;
  while ((line = next_line()) && all_space(*line)) {
  }
  if (!line) return age_fail(AgeFailure::kArmor, "no \"-----BEGIN AGE ENCRYPTED FILE-----\" line");
  if (*line != kAgeArmorBegin) {
    return armor_fail(
        fmt::format("expected \"{}\" alone on the line, found {}", kAgeArmorBegin, age_quote(*line)));
  }

  std::string b64;
  while (true) {
    line = next_line();
    if (!line) return armor_fail(fmt::format("the input ends without \"{}\"", kAgeArmorEnd));
    if (*line == kAgeArmorEnd) break;
    if (line->size() > kAgeColumnsPerLine)
      return armor_fail(fmt::format("line is longer than {} columns", kAgeColumnsPerLine));
    if (line->empty())
      return armor_fail("empty line inside the armor (headers and blank lines are not allowed)");
    if (line->size() % 4 != 0)
      return armor_fail("base64 line length is not a multiple of 4 (missing padding or a broken line)");
    for (char c : *line) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                c == '/' || c == '=';
      if (!ok)
        return armor_fail(fmt::format("character {} is not base64", age_quote(std::string_view(&c, 1))));
    }
    b64 += *line;
    if (line->size() < kAgeColumnsPerLine) {
      // Only the last line may be short; the END line must follow it.
      line = next_line();
      if (!line || *line != kAgeArmorEnd)
        return armor_fail(fmt::format("expected \"{}\" after the short last line", kAgeArmorEnd));
      break;
    }
  }
  if (!all_space(text.substr(pos)))
    return age_fail(AgeFailure::kArmor, fmt::format("data after the \"{}\" line", kAgeArmorEnd));

  // Padding may only end the whole text (a full line ending in '=' followed by more data is
  // caught here too, since '=' then sits before the end).
  auto binary = base64_decode(b64, Base64Options{.padded = true, .canonical = true});
  if (!binary) return age_fail(AgeFailure::kArmor, "base64 inside the armor: " + binary.error().message);
  return std::move(*binary);
}

}  // namespace lucid::crypto
