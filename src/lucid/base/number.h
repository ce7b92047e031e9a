// The one strict number parser: the whole text is one number of the target type, in range, or an
// error naming what was read. std::sto* accept leading blanks and trailing junk ("12abc" → 12) and
// throw, which would escape the Result functions that use them.
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "lucid/base/result.h"

namespace lucid {

// Parses all of `text` as a base-10 integer (or a floating-point number in decimal or exponent
// form) of type T. `what` names the value in the error ("port", "manifest size").
template <typename T>
Result<T> parse_number(std::string_view text, std::string_view what = "number") {
  static_assert((std::integral<T> || std::floating_point<T>)&&!std::same_as<T, bool>, "a number type");
  T value{};
  const char* first = text.data();
  const char* last = text.data() + text.size();
  std::from_chars_result r{};
  if constexpr (std::integral<T>)
    r = std::from_chars(first, last, value, 10);
  else
    r = std::from_chars(first, last, value, std::chars_format::general);
  if (text.empty() || r.ec == std::errc::invalid_argument || r.ptr != last)
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} '{}' is not a number", what, text));
  if (r.ec == std::errc::result_out_of_range)
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} '{}' is out of range", what, text));
  return value;
}

// As parse_number, and within [min, max] (inclusive).
template <typename T>
Result<T> parse_number_in(std::string_view text, T min, T max, std::string_view what = "number") {
  auto v = parse_number<T>(text, what);
  if (!v) return v;
  if (*v < min || *v > max)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} {} is out of range ({} to {})", what, text, min, max));
  return v;
}

}  // namespace lucid
