// A YAML document as a tree that remembers where every node was written (file, line, column) and,
// for scalars, the text, the style and the explicit tag, so later stages can report positions.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lucid::yaml {

// A position in a source file; line and column are 1-based (0 when unknown).
struct Mark {
  std::shared_ptr<const std::string> file;  // shared by every node of one file
  int line = 0;
  int col = 0;

  const std::string& file_name() const;
  // "file:line:col" (the form every message in Lucid uses).
  std::string str() const;
};

enum class Kind { kScalar, kSequence, kMapping };
enum class Style { kPlain, kSingleQuoted, kDoubleQuoted, kLiteral, kFolded };

// One node. Mapping entries keep document order; aliases are already expanded and merge keys
// (`<<`) already applied by the loader, so consumers never see either.
struct Node {
  Kind kind = Kind::kScalar;
  Mark mark;  // where the node starts (for a mapping entry's value: where the value starts)

  // Scalars only.
  std::string value;  // the scalar's content after YAML unescaping/folding
  std::string raw;    // the scalar exactly as written in the source, quotes included
  Style style = Style::kPlain;
  std::string tag;  // explicit tag as resolved by the parser ("tag:yaml.org,2002:str", "!", …); "" if none

  std::vector<Node> items;                     // sequences
  std::vector<std::pair<Node, Node>> entries;  // mappings: (key, value), document order

  // Out of line: Node is incomplete inside its own vectors, which clang instantiates eagerly.
  Node();
  ~Node();
  Node(const Node&);
  Node(Node&&) noexcept;
  Node& operator=(const Node&);
  Node& operator=(Node&&) noexcept;

  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_mapping() const { return kind == Kind::kMapping; }
  // A plain, untagged scalar that YAML 1.1 reads as null (`~`, `null`, empty).
  bool is_null() const;

  // Mapping lookup by scalar key text (linear; build an index for large mappings). nullptr if absent
  // or if this is not a mapping.
  const Node* find(std::string_view key) const;
  const std::pair<Node, Node>* find_entry(std::string_view key) const;

  static Node scalar(std::string value, Mark mark = {}, Style style = Style::kPlain);
};

}  // namespace lucid::yaml
