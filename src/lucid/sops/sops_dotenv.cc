// The dotenv store (KEY=VALUE lines, "\n" escaped) and the flattening sops uses to keep its
// metadata in one: `sops_age__list_0__map_enc=…`.
#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "lucid/sops/sops_store.h"

namespace lucid::sops {
namespace {

std::string replace_all(const std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0;
  for (;;) {
    auto hit = s.find(from, pos);
    out.append(s, pos, hit == std::string::npos ? std::string::npos : hit - pos);
    if (hit == std::string::npos) return out;
    out.append(to);
    pos = hit + from.size();
  }
}

std::string join_key(const std::string& prefix, std::string_view sep, const std::string& k) {
  std::string out;
  out.reserve(prefix.size() + sep.size() + k.size());
  out.append(prefix);
  out.append(sep);
  out.append(k);
  return out;
}

void flatten_into(const SopsNode& n, const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (n.is_mapping()) {
    for (const auto& [k, v] : n.entries)
      flatten_into(v, prefix.empty() ? k : join_key(prefix, "__map_", k), out);
  } else if (n.is_sequence()) {
    for (std::size_t i = 0; i < n.items.size(); ++i)
      flatten_into(n.items[i], fmt::format("{}__list_{}", prefix, i), out);
  } else if (n.type != SopsType::kNull) {
    std::string v = n.type == SopsType::kBool ? (n.text == "True" ? "true" : "false") : n.text;
    out.emplace_back(prefix, v);
  }
}

Status insert(SopsNode& node, std::string_view rest, const std::string& value, const std::string& key) {
  if (rest.empty()) {
    node = SopsNode::scalar(SopsType::kStr, value);
    return {};
  }
  if (rest.starts_with("__list_")) {
    rest.remove_prefix(7);
    std::size_t idx = 0;
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), idx);
    if (ec != std::errc() || idx > 1000)
      return fail(ErrorKind::kCorrupt, fmt::format("sops_{}: bad list index", key));
    rest.remove_prefix(static_cast<std::size_t>(p - rest.data()));
    if (!node.is_sequence()) node = SopsNode::sequence();
    if (node.items.size() <= idx) node.items.resize(idx + 1);
    return insert(node.items[idx], rest, value, key);
  }
  if (rest.starts_with("__map_")) rest.remove_prefix(6);
  auto next = std::min(rest.find("__list_"), rest.find("__map_"));
  std::string k(rest.substr(0, next));
  if (!node.is_mapping()) node = SopsNode::mapping();
  SopsNode* child = node.find(k);
  if (child == nullptr) {
    node.entries.emplace_back(k, SopsNode{});
    child = &node.entries.back().second;
  }
  return insert(*child, next == std::string_view::npos ? std::string_view{} : rest.substr(next), value, key);
}

}  // namespace

Result<SopsNode> sops_load_dotenv(std::string_view text, const std::string& name) {
  SopsNode root = SopsNode::mapping();
  std::size_t start = 0;
  int line_no = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    ++line_no;
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (line.empty() || line[0] == '#') continue;  // comments are not kept
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return fail(ErrorKind::kInvalidArgument, fmt::format("{}:{}: not a KEY=VALUE line", name, line_no));
    root.entries.emplace_back(
        std::string(line.substr(0, eq)),
        SopsNode::scalar(SopsType::kStr, replace_all(std::string(line.substr(eq + 1)), "\\n", "\n")));
  }
  return root;
}

Result<std::string> sops_emit_dotenv(const SopsNode& root) {
  std::string out;
  for (const auto& [k, v] : root.entries) {
    if (!v.is_scalar())
      return fail(ErrorKind::kInvalidArgument, fmt::format("dotenv: '{}' is not a scalar", k));
    std::string text = v.type == SopsType::kBool ? (v.text == "True" ? "true" : "false") : v.text;
    out.append(k);
    out.push_back('=');
    out.append(replace_all(text, "\n", "\\n"));
    out.push_back('\n');
  }
  return out;
}

Result<SopsNode> sops_unflatten(const std::vector<std::pair<std::string, std::string>>& flat) {
  SopsNode root = SopsNode::mapping();
  for (const auto& [k, v] : flat)
    if (auto s = insert(root, k, v, k); !s) return std::unexpected(s.error());
  return root;
}

std::vector<std::pair<std::string, std::string>> sops_flatten(const SopsNode& node) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten_into(node, "", out);
  std::sort(out.begin(), out.end());
  return out;
}

SopsFormat sops_format_for(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  if (ext == ".json") return SopsFormat::kJson;
  if (ext == ".env") return SopsFormat::kDotenv;
  return SopsFormat::kYaml;
}

std::string_view sops_format_name(SopsFormat format) {
  switch (format) {
    case SopsFormat::kYaml:
      return "yaml";
    case SopsFormat::kJson:
      return "json";
    case SopsFormat::kDotenv:
      return "dotenv";
  }
  return "yaml";
}

Result<SopsNode> sops_load(std::string_view text, SopsFormat format, const std::string& name) {
  switch (format) {
    case SopsFormat::kJson:
      return sops_load_json(text, name);
    case SopsFormat::kDotenv:
      return sops_load_dotenv(text, name);
    case SopsFormat::kYaml:
      break;
  }
  return sops_load_yaml(text, name);
}

Result<std::string> sops_emit(const SopsNode& root, SopsFormat format) {
  switch (format) {
    case SopsFormat::kJson:
      return sops_emit_json(root);
    case SopsFormat::kDotenv:
      return sops_emit_dotenv(root);
    case SopsFormat::kYaml:
      break;
  }
  return sops_emit_yaml(root);
}

}  // namespace lucid::sops
