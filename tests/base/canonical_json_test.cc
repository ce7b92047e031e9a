#include "lucid/base/canonical_json.h"

#include <gtest/gtest.h>

namespace lucid {
namespace {

using nlohmann::json;

TEST(CanonicalJson, SortsMembersAndDropsWhitespace) {
  auto doc = json::parse(R"({ "b": [1, 2, {"z": null, "a": true}], "a": "x" })");
  EXPECT_EQ(canonical_json(doc).value(), R"({"a":"x","b":[1,2,{"a":true,"z":null}]})");
}

// RFC 8785 §3.2.3: members are ordered by UTF-16 code units, so a supplementary-plane character
// (surrogate pair, 0xD83D…) sorts before U+FB33 even though its UTF-8 bytes sort after.
TEST(CanonicalJson, OrdersKeysByUtf16CodeUnits) {
  json doc = json::object();
  doc["\xef\xac\xb3"] = 1;      // U+FB33
  doc["\xf0\x9f\x98\x80"] = 2;  // U+1F600
  doc["\x7f"] = 3;              // U+007F
  EXPECT_EQ(canonical_json(doc).value(), "{\"\x7f\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
}

TEST(CanonicalJson, EscapesOnlyWhatRfc8785Requires) {
  json doc = std::string("q\" b\\ \b\f\n\r\t \x01 \x1f / \xc3\xa9");
  EXPECT_EQ(canonical_json(doc).value(), "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001 \\u001f / \xc3\xa9\"");
}

TEST(CanonicalJson, RefusesFractionsAndUnsafeIntegers) {
  EXPECT_FALSE(canonical_json(json::parse("1.5")).has_value());
  EXPECT_FALSE(canonical_json(json(std::uint64_t{1} << 60)).has_value());
  EXPECT_EQ(canonical_json(json(-(std::int64_t{1} << 53))).value(), "-9007199254740992");
}

}  // namespace
}  // namespace lucid
