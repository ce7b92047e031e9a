// Strict reading of one JSON object's members, for signed and hashed documents read from untrusted
// peers (session manifests, chain transactions and blocks): each member is read with its expected
// type, strings are bounded before they are copied, and members nobody read are reported. Errors
// are kCorrupt and name the member by its path ("chunks[3].length: missing").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/base/result.h"

namespace lucid {

// One JSON object from untrusted text: valid UTF-8, no member twice in one object (parsers disagree on
// which duplicate wins, so a signature over a re-serialised object could mean two things), nesting at
// most `max_depth` deep. Errors are kInvalidArgument and start with `what` ("payload is not JSON").
Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view what, int max_depth);

class JsonFields {
 public:
  // `path` prefixes member names in errors ("" for a top-level document); strings longer than
  // `max_string_bytes` are refused.
  JsonFields(const nlohmann::json& object, std::string path, std::size_t max_string_bytes)
      : object_(object), path_(std::move(path)), max_string_bytes_(max_string_bytes) {}

  // "path.key", or "key" at the top.
  std::string name(const std::string& key) const;
  Error error(const std::string& key, std::string_view what) const;

  // The member with this JSON type (number_unsigned also matches a non-negative integer).
  Result<const nlohmann::json*> get(const std::string& key, nlohmann::json::value_t type);
  Result<std::string> string(const std::string& key);
  Result<std::uint64_t> uint(const std::string& key);
  // A size or count, refused above `max` (`what` says which bound) before anything is sized by it.
  Result<std::uint64_t> uint(const std::string& key, std::uint64_t max, std::string_view what);

  template <std::size_t N>
  Result<std::array<std::uint8_t, N>> hex_bytes(const std::string& key) {
    auto text = string(key);
    if (!text) {
      return std::unexpected(text.error());
    }
    std::array<std::uint8_t, N> out{};
    if (auto decoded = from_hex_into(*text, out); !decoded) {
      return std::unexpected(error(key, decoded.error().message));
    }
    return out;
  }

  // Fails naming the first member that no getter asked for.
  Status no_unknown_fields() const;

 private:
  const nlohmann::json& object_;
  std::string path_;
  std::size_t max_string_bytes_;
  std::set<std::string> seen_;
};

// Assigns the value of a Result expression to `lhs`, or returns its error from the enclosing
// function (which returns a Result or Status).
#define LUCID_TRY_ASSIGN(lhs, expr)                         \
  do {                                                      \
    auto _r = (expr);                                       \
    if (!_r) return std::unexpected(std::move(_r.error())); \
    (lhs) = std::move(*_r);                                 \
  } while (0)

}  // namespace lucid
