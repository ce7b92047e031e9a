// Loads YAML text into Node trees with libyaml's event parser: positions on every node, aliases
// expanded, merge keys applied, duplicate keys refused. Never crashes on malformed input.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/yaml/node.h"

namespace lucid::yaml {

struct LoadOptions {
  bool allow_multiple_documents = false;  // otherwise a second document is an error
  bool allow_duplicate_keys = false;      // PyYAML's behaviour (last one wins) when true
  std::size_t max_nodes = 4'000'000;      // bound on nodes after alias expansion ("billion laughs")
  std::size_t max_depth = 256;            // bound on nesting
};

// Where and why loading failed; `str()` is "file:line:col: message".
struct Diagnostic {
  Mark mark;
  std::string message;
  std::string str() const;
};

// Parses `text` (named `file` in marks and messages). One document unless options allow more; an
// empty stream yields one null scalar.
std::expected<std::vector<Node>, Diagnostic> parse_documents(std::string_view text, const std::string& file,
                                                             const LoadOptions& options = {});
std::expected<Node, Diagnostic> parse_document(std::string_view text, const std::string& file,
                                               const LoadOptions& options = {});

// The same with the error as lucid::Error (kind kInvalidArgument, message "file:line:col: …").
Result<Node> parse(std::string_view text, const std::string& file, const LoadOptions& options = {});
// Reads and parses a file (kNotFound / kIo when it cannot be read).
Result<Node> load_file(const std::filesystem::path& path, const LoadOptions& options = {});

}  // namespace lucid::yaml
