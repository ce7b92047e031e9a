// The JSON store: ordered parsing (numbers become floats, as Go's json.Decoder tokens do) and
// output as sops writes it: encoding/json string escaping, json.Indent with one tab per level.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/go_json.h"
#include "lucid/sops/sops_store.h"

namespace lucid::sops {
namespace {

using ojson = nlohmann::ordered_json;

SopsNode convert(const ojson& j) {
  if (j.is_object()) {
    SopsNode m = SopsNode::mapping();
    for (auto it = j.begin(); it != j.end(); ++it) m.entries.emplace_back(it.key(), convert(it.value()));
    return m;
  }
  if (j.is_array()) {
    SopsNode s = SopsNode::sequence();
    for (const auto& i : j) s.items.push_back(convert(i));
    return s;
  }
  if (j.is_null()) return SopsNode::scalar(SopsType::kNull, "");
  if (j.is_boolean()) return SopsNode::scalar(SopsType::kBool, j.get<bool>() ? "True" : "False");
  if (j.is_number()) return SopsNode::scalar(SopsType::kFloat, sops_format_float(j.get<double>()));
  return SopsNode::scalar(SopsType::kStr, j.get<std::string>());
}

void emit(const SopsNode& n, int depth, std::string& out) {
  std::string pad(static_cast<std::size_t>(depth + 1), '\t');
  std::string close(static_cast<std::size_t>(depth), '\t');
  if (n.is_mapping()) {
    if (n.entries.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    for (std::size_t i = 0; i < n.entries.size(); ++i) {
      out += pad + go_json_string(n.entries[i].first) + ": ";
      emit(n.entries[i].second, depth + 1, out);
      out += i + 1 < n.entries.size() ? ",\n" : "\n";
    }
    out += close + "}";
  } else if (n.is_sequence()) {
    if (n.items.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      out += pad;
      emit(n.items[i], depth + 1, out);
      out += i + 1 < n.items.size() ? ",\n" : "\n";
    }
    out += close + "]";
  } else {
    switch (n.type) {
      case SopsType::kNull:
        out += "null";
        break;
      case SopsType::kBool:
        out += n.text == "True" ? "true" : "false";
        break;
      case SopsType::kInt:
      case SopsType::kFloat:
        out += n.text;
        break;
      default:
        out += go_json_string(n.text);
    }
  }
}

}  // namespace

Result<SopsNode> sops_load_json(std::string_view text, const std::string& name) {
  ojson j = ojson::parse(text, nullptr, false);
  if (j.is_discarded()) return fail(ErrorKind::kInvalidArgument, fmt::format("{}: not valid JSON", name));
  if (!j.is_object())
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: SOPS JSON files must have a top-level object", name));
  return convert(j);
}

std::string sops_emit_json(const SopsNode& root) {
  std::string out;
  emit(root, 0, out);
  return out + "\n";
}

}  // namespace lucid::sops
