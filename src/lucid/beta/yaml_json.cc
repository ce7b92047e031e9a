#include "lucid/beta/yaml_json.h"

#include <yaml.h>

#include <fmt/format.h>

namespace lucid::beta {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) {
    yaml_parser_initialize(&p_);
    yaml_parser_set_input_string(&p_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~Parser() { yaml_parser_delete(&p_); }

  Result<nlohmann::json> document() {
    while (true) {
      auto e = next();
      if (!e) return std::unexpected(e.error());
      if (*e == YAML_STREAM_END_EVENT) return nlohmann::json();
      if (*e == YAML_DOCUMENT_START_EVENT) break;
    }
    auto e = next();
    if (!e) return std::unexpected(e.error());
    return node(*e, 0);
  }

 private:
  Result<yaml_event_type_t> next() {
    yaml_event_delete(&ev_);
    if (!yaml_parser_parse(&p_, &ev_))
      return fail(ErrorKind::kInvalidArgument, fmt::format("YAML line {}: {}", p_.problem_mark.line + 1,
                                                           p_.problem ? p_.problem : "parse error"));
    return ev_.type;
  }

  Result<nlohmann::json> node(yaml_event_type_t type, int depth) {
    if (depth > 64) return fail(ErrorKind::kInvalidArgument, "YAML nested too deeply");
    int line = static_cast<int>(ev_.start_mark.line) + 1;
    if (type == YAML_ALIAS_EVENT)
      return fail(ErrorKind::kInvalidArgument, fmt::format("YAML line {}: aliases are not supported", line));
    if (type == YAML_SCALAR_EVENT) {
      std::string v(reinterpret_cast<const char*>(ev_.data.scalar.value), ev_.data.scalar.length);
      if (ev_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (v == "true" || v == "false"))
        return nlohmann::json(v == "true");
      return nlohmann::json(v);
    }
    if (type == YAML_SEQUENCE_START_EVENT) {
      auto arr = nlohmann::json::array();
      while (true) {
        auto e = next();
        if (!e) return std::unexpected(e.error());
        if (*e == YAML_SEQUENCE_END_EVENT) return arr;
        auto child = node(*e, depth + 1);
        if (!child) return child;
        arr.push_back(std::move(*child));
      }
    }
    if (type == YAML_MAPPING_START_EVENT) {
      auto obj = nlohmann::json::object();
      while (true) {
        auto e = next();
        if (!e) return std::unexpected(e.error());
        if (*e == YAML_MAPPING_END_EVENT) return obj;
        if (*e != YAML_SCALAR_EVENT)
          return fail(ErrorKind::kInvalidArgument, fmt::format("YAML line {}: keys must be scalars", line));
        std::string key(reinterpret_cast<const char*>(ev_.data.scalar.value), ev_.data.scalar.length);
        if (obj.contains(key))
          return fail(ErrorKind::kInvalidArgument, fmt::format("YAML: duplicate key '{}'", key));
        auto v = next();
        if (!v) return std::unexpected(v.error());
        auto child = node(*v, depth + 1);
        if (!child) return child;
        obj[key] = std::move(*child);
      }
    }
    return fail(ErrorKind::kInvalidArgument, fmt::format("YAML line {}: unexpected event", line));
  }

  yaml_parser_t p_{};
  yaml_event_t ev_{};
};

}  // namespace

Result<nlohmann::json> yaml_to_json(std::string_view text) {
  Parser p(text);
  return p.document();
}

}  // namespace lucid::beta
