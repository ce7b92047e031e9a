#include "lucid/base/json_fields.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace lucid {
namespace {

using json = nlohmann::json;

std::string type_name(json::value_t type) {
  switch (type) {
    case json::value_t::string:
      return "a string";
    case json::value_t::number_unsigned:
      return "a non-negative integer";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::boolean:
      return "a boolean";
    default:
      return "another type";
  }
}

}  // namespace

Result<json> parse_json_object(std::string_view text, std::string_view what, int max_depth) {
  std::vector<std::vector<std::string>> keys_by_depth;
  bool duplicate = false;
  bool too_deep = false;
  json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys_by_depth.emplace_back();
        [[fallthrough]];
      case json::parse_event_t::array_start:
        if (depth >= max_depth) too_deep = true;
        break;
      case json::parse_event_t::object_end:
        if (!keys_by_depth.empty()) keys_by_depth.pop_back();
        break;
      case json::parse_event_t::key: {
        if (keys_by_depth.empty()) break;
        auto& seen = keys_by_depth.back();
        const auto& key = parsed.get_ref<const std::string&>();
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) duplicate = true;
        seen.push_back(key);
        break;
      }
      default:
        break;
    }
    return true;
  };
  json value = json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
  if (value.is_discarded())
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} is not JSON (or not UTF-8)", what));
  if (too_deep)
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} nests deeper than {} levels", what, max_depth));
  if (duplicate)
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} has a member twice in one object", what));
  if (!value.is_object())
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} is not a JSON object", what));
  return value;
}

std::string JsonFields::name(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

Error JsonFields::error(const std::string& key, std::string_view what) const {
  return Error{ErrorKind::kCorrupt, fmt::format("{}: {}", name(key), what)};
}

Result<const json*> JsonFields::get(const std::string& key, json::value_t type) {
  seen_.insert(key);
  auto it = object_.find(key);
  if (it == object_.end()) {
    return std::unexpected(error(key, "missing"));
  }
  bool ok = it->type() == type || (type == json::value_t::number_unsigned && it->is_number_unsigned());
  if (!ok) {
    return std::unexpected(
        error(key, fmt::format("expected {}, found {}", type_name(type), it->type_name())));
  }
  return &*it;
}

Result<std::string> JsonFields::string(const std::string& key) {
  auto value = get(key, json::value_t::string);
  if (!value) {
    return std::unexpected(value.error());
  }
  const auto& text = (*value)->get_ref<const std::string&>();
  if (text.size() > max_string_bytes_) {
    return std::unexpected(
        error(key, fmt::format("is {} bytes long; at most {} are allowed", text.size(), max_string_bytes_)));
  }
  return text;
}

Result<std::uint64_t> JsonFields::uint(const std::string& key) {
  auto value = get(key, json::value_t::number_unsigned);
  if (!value) {
    return std::unexpected(value.error());
  }
  return (*value)->get<std::uint64_t>();
}

Result<std::uint64_t> JsonFields::uint(const std::string& key, std::uint64_t max, std::string_view what) {
  auto n = uint(key);
  if (!n) {
    return n;
  }
  if (*n > max) {
    return std::unexpected(error(key, fmt::format("{} exceeds {} ({})", *n, max, what)));
  }
  return n;
}

Status JsonFields::no_unknown_fields() const {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (!seen_.contains(it.key())) {
      return std::unexpected(error(it.key(), "unknown field"));
    }
  }
  return {};
}

}  // namespace lucid
