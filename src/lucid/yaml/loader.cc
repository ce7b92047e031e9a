#include "lucid/yaml/loader.h"

#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <yaml.h>

#include "lucid/base/files.h"
#include "lucid/yaml/scalar.h"

namespace lucid::yaml {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const std::string& file, const LoadOptions& options)
      : file_(std::make_shared<const std::string>(file)), text_(text), options_(options) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~Parser() { yaml_parser_delete(&parser_); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  std::expected<std::vector<Node>, Diagnostic> run() {
    std::vector<Node> docs;
    for (;;) {
      Event ev;
      if (!next(ev)) return std::unexpected(error_);
      if (ev.e.type == YAML_STREAM_END_EVENT) break;
      if (ev.e.type == YAML_DOCUMENT_START_EVENT) {
        if (!docs.empty() && !options_.allow_multiple_documents)
          return std::unexpected(Diagnostic{
              mark(ev.e.start_mark), "more than one YAML document in this file (only one is allowed)"});
        anchors_.clear();
        auto doc = document();
        if (!doc) return std::unexpected(error_);
        docs.push_back(std::move(*doc));
      }
    }
    if (docs.empty()) {
      Node n = Node::scalar("", Mark{file_, 1, 1});
      docs.push_back(std::move(n));
    }
    return docs;
  }

 private:
  struct Event {
    yaml_event_t e{};
    bool owned = false;
    ~Event() {
      if (owned) yaml_event_delete(&e);
    }
  };

  Mark mark(const yaml_mark_t& m) const {
    return Mark{file_, static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1};
  }

  bool fail(Mark m, std::string message) {
    error_ = Diagnostic{std::move(m), std::move(message)};
    return false;
  }

  bool next(Event& ev) {
    if (!yaml_parser_parse(&parser_, &ev.e)) {
      std::string msg = parser_.problem ? parser_.problem : "malformed YAML";
      if (parser_.context) msg = fmt::format("{} ({})", msg, parser_.context);
      return fail(mark(parser_.problem_mark), msg);
    }
    ev.owned = true;
    return true;
  }

  std::optional<Node> document() {
    Event ev;
    if (!next(ev)) return std::nullopt;
    std::optional<Node> root;
    if (ev.e.type == YAML_DOCUMENT_END_EVENT) return Node::scalar("", mark(ev.e.start_mark));
    root = node(ev, 0);
    if (!root) return std::nullopt;
    Event end;
    if (!next(end)) return std::nullopt;  // DOCUMENT_END
    return root;
  }

  static std::string str_or_empty(const yaml_char_t* s) {
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  }

  bool count_node(const Mark& m) {
    if (++nodes_ > options_.max_nodes)
      return fail(m, fmt::format("document expands to more than {} nodes (alias bomb?)", options_.max_nodes));
    return true;
  }

  // Builds the node that starts with `ev` (already read).
  std::optional<Node> node(Event& ev, std::size_t depth) {
    Mark m = mark(ev.e.start_mark);
    if (depth > options_.max_depth) {
      fail(m, fmt::format("nesting deeper than {} levels", options_.max_depth));
      return std::nullopt;
    }
    if (!count_node(m)) return std::nullopt;
    switch (ev.e.type) {
      case YAML_ALIAS_EVENT: {
        std::string name = str_or_empty(ev.e.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          fail(m, fmt::format("unknown alias '*{}'", name));
          return std::nullopt;
        }
        std::size_t size = it->second.second;
        nodes_ += size;
        if (nodes_ > options_.max_nodes) {
          fail(m, fmt::format("document expands to more than {} nodes (alias bomb?)", options_.max_nodes));
          return std::nullopt;
        }
        return it->second.first;
      }
      case YAML_SCALAR_EVENT: {
        const auto& s = ev.e.data.scalar;
        Node n;
        n.kind = Kind::kScalar;
        n.mark = m;
        n.value.assign(reinterpret_cast<const char*>(s.value), s.length);
        std::size_t b = ev.e.start_mark.index, e = ev.e.end_mark.index;
        if (b <= e && e <= text_.size()) n.raw.assign(text_.substr(b, e - b));
        switch (s.style) {
          case YAML_SINGLE_QUOTED_SCALAR_STYLE:
            n.style = Style::kSingleQuoted;
            break;
          case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
            n.style = Style::kDoubleQuoted;
            break;
          case YAML_LITERAL_SCALAR_STYLE:
            n.style = Style::kLiteral;
            break;
          case YAML_FOLDED_SCALAR_STYLE:
            n.style = Style::kFolded;
            break;
          default:
            n.style = Style::kPlain;
            break;
        }
        n.tag = str_or_empty(s.tag);
        remember(s.anchor, n, 1);
        return n;
      }
      case YAML_SEQUENCE_START_EVENT: {
        Node n;
        n.kind = Kind::kSequence;
        n.mark = m;
        n.tag = str_or_empty(ev.e.data.sequence_start.tag);
        std::string anchor = str_or_empty(ev.e.data.sequence_start.anchor);
        std::size_t before = nodes_;
        for (;;) {
          Event child;
          if (!next(child)) return std::nullopt;
          if (child.e.type == YAML_SEQUENCE_END_EVENT) break;
          auto c = node(child, depth + 1);
          if (!c) return std::nullopt;
          n.items.push_back(std::move(*c));
        }
        if (!anchor.empty()) anchors_[anchor] = {n, nodes_ - before + 1};
        return n;
      }
      case YAML_MAPPING_START_EVENT: {
        Node n;
        n.kind = Kind::kMapping;
        n.mark = m;
        n.tag = str_or_empty(ev.e.data.mapping_start.tag);
        std::string anchor = str_or_empty(ev.e.data.mapping_start.anchor);
        std::size_t before = nodes_;
        std::vector<const Node*> merges;
        std::vector<Node> merge_values;
        for (;;) {
          Event kev;
          if (!next(kev)) return std::nullopt;
          if (kev.e.type == YAML_MAPPING_END_EVENT) break;
          auto k = node(kev, depth + 1);
          if (!k) return std::nullopt;
          Event vev;
          if (!next(vev)) return std::nullopt;
          auto v = node(vev, depth + 1);
          if (!v) return std::nullopt;
          if (k->is_scalar() && k->style == Style::kPlain && k->value == "<<" &&
              (k->tag.empty() || k->tag == "tag:yaml.org,2002:merge")) {
            merge_values.push_back(std::move(*v));
            continue;
          }
          n.entries.emplace_back(std::move(*k), std::move(*v));
        }
        if (!merge_values.empty() && !apply_merges(n, merge_values)) return std::nullopt;
        if (!check_duplicates(n)) return std::nullopt;
        if (!anchor.empty()) anchors_[anchor] = {n, nodes_ - before + 1};
        return n;
      }
      default:
        fail(m, "unexpected YAML event");
        return std::nullopt;
    }
  }

  void remember(const yaml_char_t* anchor, const Node& n, std::size_t size) {
    if (anchor) anchors_[str_or_empty(anchor)] = {n, size};
  }

  // PyYAML's flatten_mapping: merged entries come first (earlier sources win among themselves),
  // the mapping's own entries override them and keep their position after them.
  bool apply_merges(Node& n, std::vector<Node>& merge_values) {
    std::vector<std::pair<Node, Node>> merged;
    std::unordered_map<std::string, std::size_t> index;
    auto add_from = [&](const Node& src) {
      for (const auto& e : src.entries) {
        std::string key = key_identity(e.first);
        if (index.contains(key)) continue;
        index.emplace(key, merged.size());
        merged.push_back(e);
      }
    };
    for (const Node& v : merge_values) {
      if (v.is_mapping()) {
        add_from(v);
      } else if (v.is_sequence()) {
        for (const Node& item : v.items) {
          if (!item.is_mapping())
            return fail(item.mark, "a merge key '<<' takes a mapping or a sequence of mappings");
          add_from(item);
        }
      } else {
        return fail(v.mark, "a merge key '<<' takes a mapping or a sequence of mappings");
      }
    }
    std::unordered_set<std::string> own;
    for (auto& e : n.entries) {
      std::string key = key_identity(e.first);
      auto it = index.find(key);
      if (it != index.end() && !own.contains(key)) {
        merged[it->second].second = std::move(e.second);
        own.insert(key);
      } else {
        merged.push_back(std::move(e));
      }
    }
    n.entries = std::move(merged);
    return true;
  }

  bool check_duplicates(Node& n) {
    if (n.entries.size() < 2) return true;
    std::unordered_map<std::string, std::size_t> seen;
    std::vector<std::pair<Node, Node>> kept;
    bool removed = false;
    for (std::size_t i = 0; i < n.entries.size(); ++i) {
      const Node& k = n.entries[i].first;
      if (!k.is_scalar()) continue;
      auto [it, inserted] = seen.emplace(key_identity(k), i);
      if (inserted) continue;
      if (!options_.allow_duplicate_keys) {
        const Node& first = n.entries[it->second].first;
        return fail(k.mark,
                    fmt::format("duplicate key '{}' (first defined at {})", k.value, first.mark.str()));
      }
      n.entries[it->second].second = std::move(n.entries[i].second);  // last wins, first position
      n.entries[i].first.tag = "\x01drop";
      removed = true;
    }
    if (removed) {
      for (auto& e : n.entries)
        if (e.first.tag != "\x01drop") kept.push_back(std::move(e));
      n.entries = std::move(kept);
    }
    return true;
  }

  // Keys are the same when they resolve to the same YAML 1.1 value: `1` and `"1"` differ.
  static std::string key_identity(const Node& k) {
    if (!k.is_scalar()) return fmt::format("\x02{}", k.mark.str());
    ScalarType t = resolve_scalar(k);
    return fmt::format("{}\x1f{}", static_cast<int>(t), k.value);
  }

  std::shared_ptr<const std::string> file_;
  std::string_view text_;
  const LoadOptions& options_;
  yaml_parser_t parser_{};
  Diagnostic error_;
  std::unordered_map<std::string, std::pair<Node, std::size_t>> anchors_;
  std::size_t nodes_ = 0;
};

}  // namespace

std::string Diagnostic::str() const {
  return fmt::format("{}: {}", mark.str(), message);
}

std::expected<std::vector<Node>, Diagnostic> parse_documents(std::string_view text, const std::string& file,
                                                             const LoadOptions& options) {
  Parser p(text, file, options);
  return p.run();
}

std::expected<Node, Diagnostic> parse_document(std::string_view text, const std::string& file,
                                               const LoadOptions& options) {
  auto docs = parse_documents(text, file, options);
  if (!docs) return std::unexpected(docs.error());
  return std::move(docs->front());
}

Result<Node> parse(std::string_view text, const std::string& file, const LoadOptions& options) {
  auto doc = parse_document(text, file, options);
  if (!doc) return fail(ErrorKind::kInvalidArgument, doc.error().str());
  return std::move(*doc);
}

Result<Node> load_file(const std::filesystem::path& path, const LoadOptions& options) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  return parse(*text, path.string(), options);
}

}  // namespace lucid::yaml
