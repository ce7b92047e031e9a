// The YAML store: libyaml parsing with go-yaml v3's scalar typing (what sops sees), and an
// emitter with go-yaml v3's layout at indent 2 (sequences indented under their key).
#include <charconv>
#include <cmath>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/sops/sops_store.h"
#include "lucid/yaml/emitter.h"
#include "lucid/yaml/loader.h"

namespace lucid::sops {
namespace {

constexpr std::string_view kTag = "tag:yaml.org,2002:";

bool one_of(std::string_view s, std::initializer_list<std::string_view> options) {
  for (auto o : options)
    if (s == o) return true;
  return false;
}

// Go's strconv.ParseInt(s, 0, 64) (underscores already removed).
std::optional<long long> go_parse_int(std::string s, bool* overflow) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.erase(0, 1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    base = 16, s.erase(0, 2);
  else if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
    base = 8, s.erase(0, 2);
  else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
    base = 2, s.erase(0, 2);
  else if (s.size() > 1 && s[0] == '0')
    base = 8, s.erase(0, 1);
  if (s.empty()) return std::nullopt;
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (p != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range || v > (neg ? 9223372036854775808ull : 9223372036854775807ull)) {
    *overflow = true;
    return std::nullopt;
  }
  if (ec != std::errc()) return std::nullopt;
  return neg ? static_cast<long long>(0 - v) : static_cast<long long>(v);
}

struct Typed {
  SopsType type;
  std::string text;
};

// go-yaml v3's resolve() for a plain scalar, as decoded into interface{} (timestamps stay strings).
Result<Typed> resolve_v3(const std::string& s) {
  if (s.empty() || one_of(s, {"~", "null", "Null", "NULL"})) return Typed{SopsType::kNull, ""};
  if (one_of(s, {"true", "True", "TRUE"})) return Typed{SopsType::kBool, "True"};
  if (one_of(s, {"false", "False", "FALSE"})) return Typed{SopsType::kBool, "False"};
  if (one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return Typed{SopsType::kFloat, "+Inf"};
  if (one_of(s, {"-.inf", "-.Inf", "-.INF"})) return Typed{SopsType::kFloat, "-Inf"};
  if (one_of(s, {".nan", ".NaN", ".NAN"})) return Typed{SopsType::kFloat, "NaN"};
  char c = s[0];
  if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.'))
    return Typed{SopsType::kStr, s};
  std::string plain;
  for (char ch : s)
    if (ch != '_') plain += ch;
  bool overflow = false;
  if (auto i = go_parse_int(plain, &overflow)) return Typed{SopsType::kInt, std::to_string(*i)};
  if (overflow) return fail(ErrorKind::kInvalidArgument, fmt::format("integer '{}' is out of range", s));
  static const std::regex float_re(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(plain, float_re)) {
    double d = std::strtod(plain.c_str(), nullptr);
    return Typed{SopsType::kFloat, sops_format_float(d)};
  }
  return Typed{SopsType::kStr, s};
}

Result<SopsNode> convert(const yaml::Node& n) {
  switch (n.kind) {
    case yaml::Kind::kScalar: {
      std::string tag = n.tag;
      if (tag.starts_with(kTag)) tag = tag.substr(kTag.size());
      if (tag == "str" || tag == "!" || (tag.empty() && n.style != yaml::Style::kPlain))
        return SopsNode::scalar(SopsType::kStr, n.value);
      auto t = resolve_v3(n.value);
      if (!t) return std::unexpected(with_context(n.mark.str(), t.error()));
      if (!tag.empty() && tag != "int" && tag != "float" && tag != "bool" && tag != "null")
        return SopsNode::scalar(SopsType::kStr, n.value);
      return SopsNode::scalar(t->type, std::move(t->text));
    }
    case yaml::Kind::kSequence: {
      SopsNode s = SopsNode::sequence();
      for (const auto& i : n.items) {
        auto c = convert(i);
        if (!c) return c;
        s.items.push_back(std::move(*c));
      }
      return s;
    }
    case yaml::Kind::kMapping: {
      SopsNode m = SopsNode::mapping();
      for (const auto& [k, v] : n.entries) {
        if (!k.is_scalar())
          return fail(ErrorKind::kInvalidArgument, k.mark.str() + ": mapping keys must be scalars");
        auto c = convert(v);
        if (!c) return c;
        m.entries.emplace_back(k.value, std::move(*c));
      }
      return m;
    }
  }
  return SopsNode{};
}

bool plain_ok(const std::string& s) {
  auto t = resolve_v3(s);
  return t && t->type == SopsType::kStr && yaml::quote_if_needed(s) == s;
}

bool literal_ok(const std::string& s) {
  if (s.find('\n') == std::string::npos) return false;
  if (s.front() == ' ' || s.front() == '\t' || s.front() == '\n') return false;
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\n' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) return false;
  if (s.back() == ' ' || s.back() == '\t') return false;
  return true;
}

std::string string_scalar(const std::string& s, int indent, bool allow_literal = true) {
  if (allow_literal && literal_ok(s)) {
    std::size_t trailing = 0;
    while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
    std::string out = trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
    std::string pad(static_cast<std::size_t>(indent), ' ');
    std::string body = trailing > 0 ? s.substr(0, s.size() - 1) : s;
    std::size_t start = 0;
    for (;;) {
      auto nl = body.find('\n', start);
      std::string line = body.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      out.push_back('\n');
      if (!line.empty()) out.append(pad).append(line);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    return out;
  }
  if (plain_ok(s)) return s;
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string scalar_text(const SopsNode& n, int indent) {
  switch (n.type) {
    case SopsType::kNull:
      return "null";
    case SopsType::kBool:
      return n.text == "True" ? "true" : "false";
    case SopsType::kInt:
      return n.text;
    case SopsType::kFloat:
      if (n.text == "NaN") return ".nan";
      if (n.text == "+Inf") return ".inf";
      if (n.text == "-Inf") return "-.inf";
      return n.text.find_first_of(".eE") == std::string::npos ? n.text + ".0" : n.text;
    default:
      return string_scalar(n.text, indent);
  }
}

bool is_block(const SopsNode& n) {
  return (n.is_mapping() && !n.entries.empty()) || (n.is_sequence() && !n.items.empty());
}

std::string flow_or_scalar(const SopsNode& n, int indent) {
  if (n.is_mapping()) return "{}";
  if (n.is_sequence()) return "[]";
  return scalar_text(n, indent);
}

void emit_block(const SopsNode& n, int indent, std::string& out);

// A node that follows "key:" or "- " on the current line.
void emit_after(const SopsNode& v, int indent, std::string& out) {
  if (!is_block(v)) {
    out.push_back(' ');
    out.append(flow_or_scalar(v, indent + 2));
    out.push_back('\n');
    return;
  }
  out += "\n";
  emit_block(v, indent + 2, out);
}

void emit_block(const SopsNode& n, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (n.is_mapping()) {
    for (const auto& [k, v] : n.entries) {
      out.append(pad).append(string_scalar(k, indent, false)).push_back(':');
      emit_after(v, indent, out);
    }
    return;
  }
  for (const auto& item : n.items) {
    if (is_block(item)) {
      std::string sub;
      emit_block(item, indent + 2, sub);
      out.append(pad).append("- ").append(sub, static_cast<std::size_t>(indent + 2));
    } else {
      out.append(pad).append("- ").append(flow_or_scalar(item, indent + 2)).push_back('\n');
    }
  }
}

}  // namespace

Result<SopsNode> sops_load_yaml(std::string_view text, const std::string& name) {
  auto doc = yaml::parse(text, name);
  if (!doc) return std::unexpected(doc.error());
  if (!doc->is_mapping()) {
    if (doc->is_null()) return SopsNode::mapping();
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: the document is not a mapping", name));
  }
  auto n = convert(*doc);
  if (!n) return std::unexpected(n.error());
  return n;
}

std::string sops_emit_yaml(const SopsNode& root) {
  if (!is_block(root)) return "{}\n";
  std::string out;
  emit_block(root, 0, out);
  return out;
}

}  // namespace lucid::sops
