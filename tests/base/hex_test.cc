#include "lucid/base/hex.h"

#include <gtest/gtest.h>

namespace lucid {
namespace {

TEST(Hex, RoundTripsEveryByteValue) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  auto text = to_hex(all);
  EXPECT_EQ(text.substr(0, 8), "00010203");
  EXPECT_EQ(text.substr(text.size() - 4), "feff");
  EXPECT_EQ(from_hex(text).value(), all);
}

TEST(Hex, AcceptsUpperCase) {
  EXPECT_EQ(from_hex("ABcd").value(), (std::vector<std::uint8_t>{0xab, 0xcd}));
}

TEST(Hex, RejectsOddLengthAndNonHex) {
  EXPECT_FALSE(from_hex("abc").has_value());
  auto bad = from_hex("zz");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("position 0"), std::string::npos);
}

TEST(Hex, IntoFixedSizeRequiresExactLength) {
  std::array<std::uint8_t, 2> out{};
  EXPECT_TRUE(from_hex_into("0102", out).has_value());
  EXPECT_FALSE(from_hex_into("010203", out).has_value());
}

}  // namespace
}  // namespace lucid
