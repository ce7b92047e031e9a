// `.env` files as docker-compose 1.29 reads them (python-dotenv 0.21): `export` prefix, single and
// double quotes (multi-line allowed), escapes in quotes, `#` comments and inline comments after
// whitespace, and `${VAR}` / `${VAR:-default}` expansion inside values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/yaml/node.h"

namespace lucid::fleet {

struct EnvEntry {
  std::string key;
  std::optional<std::string> value;  // nullopt: `KEY` without `=`
  yaml::Mark mark;                   // where the statement starts
};

struct EnvFile {
  std::vector<EnvEntry> entries;          // document order; a key may repeat (the last wins)
  std::vector<yaml::Mark> invalid_lines;  // statements python-dotenv would skip with a warning
};

// Parses `text` (named `file` in marks). Values are raw (no `${}` expansion). Never fails.
EnvFile parse_env_file(std::string_view text, const std::string& file);

// python-dotenv's expansion: each value's `${NAME}` / `${NAME:-default}` is replaced from
// `base` (Compose passes the process environment) and earlier keys of the file (which win).
// A key without value stays nullopt. Returns key → value, later keys overriding earlier ones.
std::map<std::string, std::optional<std::string>> resolve_env_file(
    const EnvFile& file, const std::map<std::string, std::string>& base = {});

}  // namespace lucid::fleet
