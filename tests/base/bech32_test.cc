#include "lucid/base/bech32.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lucid/base/hex.h"
#include "lucid/base/random.h"

namespace lucid {
namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// BIP-173 "valid Bech32" vectors whose data part is a whole number of bytes.
TEST(Bech32, Bip173ValidStringsRoundTrip) {
  for (const char* text : {"A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                           "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"}) {
    auto d = bech32_decode(text);
    ASSERT_TRUE(d.has_value()) << text << ": " << d.error().message;
    auto again = bech32_encode(d->hrp, d->data);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, std::string(text));
  }
  auto d = bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->hrp, "abcdef");
  // The 32 five-bit values 0..31 packed into 20 bytes.
  EXPECT_EQ(to_hex(d->data), "00443214c74254b635cf84653a56d7c675be77df");
}

TEST(Bech32, Bip173InvalidStrings) {
  for (const char* text : {"pzry9x0s0muk",                          // no separator
                           "1pzry9x0s0muk", "10a06t8", "1qzzfhee",  // empty HRP
                           "x1b4n0q5v",                             // 'b' is not in the charset
                           "li1dgmt3",                              // checksum too short
                           "A1G7SGD8",                              // checksum computed over upper case
                           "a12UEL5L",                              // mixed case
                           "de1lg7wt\xff",                          // byte outside the charset
                           "\x20"
                           "1nwldj5"}) {  // HRP character out of range
    EXPECT_FALSE(bech32_decode(text).has_value()) << text;
  }
}

TEST(Bech32, DetectsEverySingleCharacterChange) {
  std::vector<std::uint8_t> data(32);
  random_bytes(data);
  std::string text = bech32_encode("age", data).value();
  for (std::size_t i = 4; i < text.size(); ++i) {
    std::string bad = text;
    bad[i] = bad[i] == 'q' ? 'p' : 'q';
    EXPECT_FALSE(bech32_decode(bad).has_value()) << i;
  }
}

TEST(Bech32, NoLengthLimitAndUpperCaseHrp) {
  std::vector<std::uint8_t> data(200);
  random_bytes(data);
  std::string text = bech32_encode("AGE-PLUGIN-TEST-", data).value();
  EXPECT_GT(text.size(), 90u);
  EXPECT_EQ(text, [&] {
    std::string up = text;
    for (char& c : up)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return up;
  }());
  auto d = bech32_decode(text);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->hrp, "AGE-PLUGIN-TEST-");
  EXPECT_TRUE(std::equal(d->data.begin(), d->data.end(), data.begin(), data.end()));
  // The lower-case spelling carries the same checksum.
  auto l = bech32_decode(lower(text));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->hrp, "age-plugin-test-");
}

// Builds a checksum-valid Bech32 string from raw 5-bit groups (a test-local BIP-173 reference).
std::string raw_bech32(const std::string& hrp, const std::vector<std::uint8_t>& groups) {
  static constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  static constexpr std::uint32_t kGen[] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  std::vector<std::uint8_t> values;
  for (char c : hrp) values.push_back(static_cast<std::uint8_t>(c) >> 5);
  values.push_back(0);
  for (char c : hrp) values.push_back(static_cast<std::uint8_t>(c) & 31);
  values.insert(values.end(), groups.begin(), groups.end());
  values.insert(values.end(), 6, 0);
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= kGen[i];
  }
  chk ^= 1;
  std::string out = hrp + "1";
  for (std::uint8_t g : groups) out += kCharset[g];
  for (int i = 0; i < 6; ++i) out += kCharset[(chk >> (5 * (5 - i))) & 31];
  return out;
}

TEST(Bech32, RefusesNonZeroOrOverlongPadding) {
  // 0xff is the groups [31, 28]: 10 bits, one byte and two zero padding bits.
  EXPECT_EQ(raw_bech32("a", {31, 28}), bech32_encode("a", std::vector<std::uint8_t>{0xff}).value());
  EXPECT_TRUE(bech32_decode(raw_bech32("a", {31, 28})).has_value());
  EXPECT_FALSE(bech32_decode(raw_bech32("a", {31, 31})).has_value());     // padding bits "11"
  EXPECT_FALSE(bech32_decode(raw_bech32("a", {31, 28, 0})).has_value());  // 7 padding bits
  EXPECT_FALSE(bech32_decode(raw_bech32("a", {31})).has_value());         // 5 bits: no byte, all padding
  EXPECT_FALSE(bech32_encode("", std::vector<std::uint8_t>{1}).has_value());
  EXPECT_FALSE(bech32_encode("aB", std::vector<std::uint8_t>{1}).has_value());
}

TEST(Bech32, AgeSpecExampleKey) {
  auto d = bech32_decode("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->hrp, "AGE-SECRET-KEY-");
  ASSERT_EQ(d->data.size(), 32u);
  EXPECT_EQ(bech32_encode(d->hrp, d->data).value(),
            "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
}

}  // namespace
}  // namespace lucid
