#include "lucid/yaml/node.h"

#include <fmt/format.h>

namespace lucid::yaml {

const std::string& Mark::file_name() const {
  static const std::string kEmpty;
  return file ? *file : kEmpty;
}

std::string Mark::str() const {
  return fmt::format("{}:{}:{}", file_name(), line, col);
}

Node::Node() = default;
Node::~Node() = default;
Node::Node(const Node&) = default;
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(const Node&) = default;
Node& Node::operator=(Node&&) noexcept = default;

bool Node::is_null() const {
  if (kind != Kind::kScalar || style != Style::kPlain) return false;
  if (!tag.empty()) return tag == "tag:yaml.org,2002:null";
  return value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL";
}

const std::pair<Node, Node>* Node::find_entry(std::string_view key) const {
  if (kind != Kind::kMapping) return nullptr;
  for (const auto& e : entries)
    if (e.first.kind == Kind::kScalar && e.first.value == key) return &e;
  return nullptr;
}

const Node* Node::find(std::string_view key) const {
  const auto* e = find_entry(key);
  return e ? &e->second : nullptr;
}

Node Node::scalar(std::string value, Mark mark, Style style) {
  Node n;
  n.kind = Kind::kScalar;
  n.value = std::move(value);
  n.mark = std::move(mark);
  n.style = style;
  return n;
}

}  // namespace lucid::yaml
