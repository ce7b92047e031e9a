#include "lucid/yaml/emitter.h"

#include <cmath>

#include <fmt/format.h>

#include "lucid/yaml/scalar.h"

namespace lucid::yaml {
namespace {

bool needs_double_quotes(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

bool plain_is_safe(const std::string& s) {
  if (s.empty()) return false;
  if (resolve_plain(s) != ScalarType::kString) return false;
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  unsigned char first = static_cast<unsigned char>(s.front());
  if (kIndicators.find(static_cast<char>(first)) != std::string_view::npos) {
    // "-x", "?x", ":x" are plain-safe when followed by a non-space, but keep it simple and strict.
    return false;
  }
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
  for (unsigned char c : s)
    if (c >= 0x80 || c == '\t') return false;
  return true;
}

std::string number_text(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.dump();
  double d = v.get<double>();
  if (std::isnan(d)) return ".nan";
  if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".eEn") == std::string::npos) return s + ".0";
  if (s.find('.') == std::string::npos) {
    auto e = s.find_first_of("eE");
    s.insert(e, ".0");
    if (s[e + 3] != '-' && s[e + 3] != '+') s.insert(e + 3, "+");
  }
  return s;
}

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return number_text(v);
  return quote_if_needed(v.get<std::string>());
}

bool is_block(const nlohmann::json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void emit_json(const nlohmann::json& v, int indent, std::string& out);

void emit_value_after_key(const nlohmann::json& v, int indent, std::string& out, bool in_seq) {
  if (!is_block(v)) {
    out += ' ';
    out += v.is_object() ? "{}" : v.is_array() ? "[]" : scalar_text(v);
    out += '\n';
    return;
  }
  out += '\n';
  // Sequences under a mapping key sit at the key's indentation (PyYAML's style).
  emit_json(v, v.is_array() && !in_seq ? indent : indent + 2, out);
}

void emit_json(const nlohmann::json& v, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      out += pad + quote_if_needed(it.key()) + ':';
      emit_value_after_key(it.value(), indent, out, false);
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      out += pad + "-";
      if (item.is_object() && !item.empty()) {
        // First entry on the dash's line, the rest aligned under it.
        std::string sub;
        emit_json(item, indent + 2, sub);
        out += ' ';
        out += sub.substr(static_cast<std::size_t>(indent + 2));
      } else if (item.is_array() && !item.empty()) {
        out += '\n';
        emit_json(item, indent + 2, out);
      } else {
        out += ' ';
        out += item.is_object() ? "{}" : item.is_array() ? "[]" : scalar_text(item);
        out += '\n';
      }
    }
  } else {
    out += pad + scalar_text(v) + '\n';
  }
}

nlohmann::json node_as_json_for_emit(const Node& n) {
  // Keep document order by emitting through ordered_json-like construction.
  switch (n.kind) {
    case Kind::kScalar: {
      auto v = scalar_to_json(n);
      return v ? *v : nlohmann::json(n.value);
    }
    case Kind::kSequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& i : n.items) a.push_back(node_as_json_for_emit(i));
      return a;
    }
    case Kind::kMapping:
      break;
  }
  return nullptr;
}

void emit_node(const Node& n, int indent, std::string& out);

void emit_node_after_key(const Node& v, int indent, std::string& out, bool in_seq) {
  bool block = (v.is_mapping() && !v.entries.empty()) || (v.is_sequence() && !v.items.empty());
  if (!block) {
    out += ' ';
    if (v.is_mapping())
      out += "{}";
    else if (v.is_sequence())
      out += "[]";
    else
      out += scalar_text(node_as_json_for_emit(v));
    out += '\n';
    return;
  }
  out += '\n';
  emit_node(v, v.is_sequence() && !in_seq ? indent : indent + 2, out);
}

void emit_node(const Node& n, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (n.is_mapping()) {
    for (const auto& [k, v] : n.entries) {
      out += pad + (k.is_scalar() ? quote_if_needed(k.value) : std::string("?")) + ':';
      emit_node_after_key(v, indent, out, false);
    }
  } else if (n.is_sequence()) {
    for (const auto& item : n.items) {
      out += pad + "-";
      if (item.is_mapping() && !item.entries.empty()) {
        std::string sub;
        emit_node(item, indent + 2, sub);
        out += ' ';
        out += sub.substr(static_cast<std::size_t>(indent + 2));
      } else if (item.is_sequence() && !item.items.empty()) {
        out += '\n';
        emit_node(item, indent + 2, out);
      } else {
        emit_node_after_key(item, indent, out, true);
      }
    }
  } else {
    out += pad + scalar_text(node_as_json_for_emit(n)) + '\n';
  }
}

}  // namespace

std::string quote_if_needed(const std::string& s) {
  if (needs_double_quotes(s)) return nlohmann::json(s).dump();
  if (plain_is_safe(s)) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

std::string emit(const nlohmann::json& value) {
  std::string out;
  if (!is_block(value))
    return (value.is_object() ? "{}" : value.is_array() ? "[]" : scalar_text(value)) + "\n";
  emit_json(value, 0, out);
  return out;
}

std::string emit(const Node& node) {
  std::string out;
  emit_node(node, 0, out);
  if (out.empty()) out = "null\n";
  return out;
}

}  // namespace lucid::yaml
