#include "lucid/yaml/scalar.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>
#include <string>

#include <fmt/format.h>

#include "lucid/base/text.h"

namespace lucid::yaml {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

const std::regex& float_re() {
  static const std::regex re(
      R"(^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$)");
  return re;
}
const std::regex& int_re() {
  static const std::regex re(
      R"(^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$)");
  return re;
}
const std::regex& timestamp_re() {
  static const std::regex re(
      R"(^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$)");
  return re;
}

bool is_bool_text(std::string_view t) {
  static constexpr std::string_view kWords[] = {"yes",  "Yes",  "YES",  "no",    "No",    "NO",
                                                "true", "True", "TRUE", "false", "False", "FALSE",
                                                "on",   "On",   "ON",   "off",   "Off",   "OFF"};
  for (auto w : kWords)
    if (t == w) return true;
  return false;
}

bool bool_value(std::string_view t) {
  char c = static_cast<char>(std::tolower(static_cast<unsigned char>(t[0])));
  if (c == 'y' || c == 't') return true;
  if (c == 'o') return t.size() == 2;  // on / off
  return false;
}

std::string without_underscores(std::string_view t) {
  std::string s;
  for (char c : t)
    if (c != '_') s.push_back(c);
  return s;
}

// PyYAML's construct_yaml_int.
nlohmann::json int_value(std::string_view text) {
  std::string v = without_underscores(text);
  int sign = 1;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    if (v[0] == '-') sign = -1;
    v.erase(0, 1);
  }
  long double acc = 0;
  auto digits = [&](std::string_view d, int base) {
    for (char c : d) {
      int x = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
      acc = acc * base + x;
    }
  };
  if (v == "0") {
    acc = 0;
  } else if (v.starts_with("0b")) {
    digits(std::string_view(v).substr(2), 2);
  } else if (v.starts_with("0x")) {
    digits(std::string_view(v).substr(2), 16);
  } else if (v.size() > 1 && v[0] == '0') {
    digits(std::string_view(v).substr(1), 8);
  } else if (v.find(':') != std::string::npos) {
    long double part = 0;
    for (char c : v) {
      if (c == ':') {
        acc = acc * 60 + part;
        part = 0;
      } else {
        part = part * 10 + (c - '0');
      }
    }
    acc = acc * 60 + part;
  } else {
    digits(v, 10);
  }
  acc *= sign;
  if (acc >= -9.2e18L && acc <= 9.2e18L) return static_cast<std::int64_t>(acc);
  return static_cast<double>(acc);
}

// PyYAML's construct_yaml_float.
nlohmann::json float_value(std::string_view text) {
  std::string v = lower(without_underscores(text));
  double sign = 1;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    if (v[0] == '-') sign = -1;
    v.erase(0, 1);
  }
  if (v == ".inf") return sign * std::numeric_limits<double>::infinity();
  if (v == ".nan") return std::numeric_limits<double>::quiet_NaN();
  if (v.find(':') != std::string::npos) {
    double acc = 0;
    std::size_t start = 0;
    for (;;) {
      auto colon = v.find(':', start);
      std::string part = v.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      acc = acc * 60 + std::strtod(part.c_str(), nullptr);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    return sign * acc;
  }
  return sign * std::strtod(v.c_str(), nullptr);
}

std::string where(const Node& n) {
  return n.mark.str();
}

}  // namespace

ScalarType resolve_plain(std::string_view t) {
  if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL") return ScalarType::kNull;
  char c = t[0];
  if (c == '<' && t == "<<") return ScalarType::kMerge;
  if (c == '=' && t == "=") return ScalarType::kValue;
  if (is_bool_text(t)) return ScalarType::kBool;
  if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.'))
    return ScalarType::kString;
  std::string s(t);
  if (std::regex_match(s, int_re())) return ScalarType::kInt;
  if (std::regex_match(s, float_re())) return ScalarType::kFloat;
  if (std::isdigit(static_cast<unsigned char>(c)) && std::regex_match(s, timestamp_re()))
    return ScalarType::kTimestamp;
  return ScalarType::kString;
}

ScalarType resolve_scalar(const Node& n) {
  if (!n.tag.empty() && n.tag != "!") {
    std::string_view tag = n.tag;
    if (tag.starts_with(kTagPrefix)) {
      tag.remove_prefix(kTagPrefix.size());
      if (tag == "null") return ScalarType::kNull;
      if (tag == "bool") return ScalarType::kBool;
      if (tag == "int") return ScalarType::kInt;
      if (tag == "float") return ScalarType::kFloat;
      if (tag == "timestamp") return ScalarType::kTimestamp;
    }
    return ScalarType::kString;
  }
  if (n.style != Style::kPlain || n.tag == "!") return ScalarType::kString;
  return resolve_plain(n.value);
}

Result<nlohmann::json> scalar_to_json(const Node& n) {
  if (!n.tag.empty() && n.tag != "!") {
    std::string_view tag = n.tag;
    static constexpr std::string_view kKnown[] = {"str",   "null",      "bool",  "int",
                                                  "float", "timestamp", "binary"};
    bool known = false;
    if (tag.starts_with(kTagPrefix))
      for (auto k : kKnown) known = known || tag.substr(kTagPrefix.size()) == k;
    if (!known)
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: could not determine a constructor for the tag '{}'", where(n), n.tag));
  }
  ScalarType t = resolve_scalar(n);
  const std::string& v = n.value;
  switch (t) {
    case ScalarType::kNull:
      return nlohmann::json(nullptr);
    case ScalarType::kBool:
      if (!is_bool_text(v))
        return fail(ErrorKind::kInvalidArgument, fmt::format("{}: '{}' is not a boolean", where(n), v));
      return nlohmann::json(bool_value(v));
    case ScalarType::kInt:
      if (!std::regex_match(v, int_re()))
        return fail(ErrorKind::kInvalidArgument, fmt::format("{}: '{}' is not an integer", where(n), v));
      return int_value(v);
    case ScalarType::kFloat:
      if (!std::regex_match(v, float_re()) && !std::regex_match(v, int_re()))
        return fail(ErrorKind::kInvalidArgument, fmt::format("{}: '{}' is not a float", where(n), v));
      return float_value(v);
    case ScalarType::kValue:
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: could not determine a constructor for the tag 'tag:yaml.org,2002:value'",
                              where(n)));
    case ScalarType::kMerge:
    case ScalarType::kTimestamp:
    case ScalarType::kString:
      return nlohmann::json(v);
  }
  return nlohmann::json(v);
}

Result<nlohmann::json> to_json(const Node& n) {
  switch (n.kind) {
    case Kind::kScalar:
      return scalar_to_json(n);
    case Kind::kSequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const Node& item : n.items) {
        auto v = to_json(item);
        if (!v) return v;
        out.push_back(std::move(*v));
      }
      return out;
    }
    case Kind::kMapping: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [k, val] : n.entries) {
        if (!k.is_scalar())
          return fail(ErrorKind::kInvalidArgument,
                      fmt::format("{}: found unhashable key (a mapping key must be a scalar)", where(k)));
        auto v = to_json(val);
        if (!v) return v;
        std::string key = k.value;
        if (resolve_scalar(k) == ScalarType::kBool) key = bool_value(k.value) ? "True" : "False";
        out[key] = std::move(*v);
      }
      return out;
    }
  }
  return nlohmann::json();
}

}  // namespace lucid::yaml
