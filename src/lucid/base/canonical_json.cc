#include "lucid/base/canonical_json.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace lucid {
namespace {

constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53);

// UTF-8 → UTF-16 code units, for RFC 8785's member ordering. Input is valid UTF-8 (nlohmann checks).
std::u16string utf16_units(const std::string& s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp;
    int extra;
    if (c < 0x80) {
      cp = c;
      extra = 0;
    } else if ((c >> 5) == 0x6) {
      cp = c & 0x1f;
      extra = 1;
    } else if ((c >> 4) == 0xe) {
      cp = c & 0x0f;
      extra = 2;
    } else {
      cp = c & 0x07;
      extra = 3;
    }
    ++i;
    for (int k = 0; k < extra && i < s.size(); ++k, ++i)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3f);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void append_string(std::string& out, const std::string& s) {
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out.push_back(ch);
    }
  }
  out.push_back('"');
}

Status append_value(std::string& out, const nlohmann::json& v) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null:
      out += "null";
      return {};
    case T::boolean:
      out += v.get<bool>() ? "true" : "false";
      return {};
    case T::number_integer: {
      auto n = v.get<std::int64_t>();
      if (n > kMaxSafeInteger || n < -kMaxSafeInteger)
        return fail(ErrorKind::kInvalidArgument, fmt::format("integer {} is outside ±2^53", n));
      out += fmt::format("{}", n);
      return {};
    }
    case T::number_unsigned: {
      auto n = v.get<std::uint64_t>();
      if (n > static_cast<std::uint64_t>(kMaxSafeInteger))
        return fail(ErrorKind::kInvalidArgument, fmt::format("integer {} is outside ±2^53", n));
      out += fmt::format("{}", n);
      return {};
    }
    case T::number_float:
      return fail(ErrorKind::kInvalidArgument, "fractional numbers are not allowed in canonical documents");
    case T::string:
      append_string(out, v.get_ref<const std::string&>());
      return {};
    case T::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v) {
        if (!first) out.push_back(',');
        first = false;
        if (auto s = append_value(out, item); !s) return s;
      }
      out.push_back(']');
      return {};
    }
    case T::object: {
      std::vector<std::pair<std::u16string, const std::string*>> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) keys.emplace_back(utf16_units(it.key()), &it.key());
      std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('{');
      bool first = true;
      for (const auto& [units, key] : keys) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, *key);
        out.push_back(':');
        if (auto s = append_value(out, v.at(*key)); !s) return s;
      }
      out.push_back('}');
      return {};
    }
    case T::binary:
    case T::discarded:
      break;
  }
  return fail(ErrorKind::kInvalidArgument, "value has no JSON representation");
}

}  // namespace

Result<std::string> canonical_json(const nlohmann::json& value) {
  std::string out;
  if (auto s = append_value(out, value); !s) return std::unexpected(s.error());
  return out;
}

}  // namespace lucid
