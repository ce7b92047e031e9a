#include "lucid/base/base64.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lucid/base/random.h"

namespace lucid {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

constexpr Base64Options kRaw{.padded = false, .canonical = true};

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(bytes(plain)), encoded);
    EXPECT_EQ(base64_decode(encoded).value(), bytes(plain)) << encoded;
    std::string raw(encoded);
    while (!raw.empty() && raw.back() == '=') raw.pop_back();
    EXPECT_EQ(base64_encode(bytes(plain), kRaw), raw);
    EXPECT_EQ(base64_decode(raw, kRaw).value(), bytes(plain)) << raw;
  }
}

TEST(Base64, RoundTripsRandomLengths) {
  for (std::size_t n = 0; n < 200; ++n) {
    std::vector<std::uint8_t> data(n);
    random_bytes(data);
    EXPECT_EQ(base64_decode(base64_encode(data)).value(), data);
    EXPECT_EQ(base64_decode(base64_encode(data, kRaw), kRaw).value(), data);
    EXPECT_EQ(base64_encode(data, kRaw).size(), (n * 8 + 5) / 6);
  }
}

TEST(Base64, AllByteValuesAndAlphabet) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  std::string text = base64_encode(all);
  EXPECT_EQ(text.substr(0, 8), "AAECAwQF");
  EXPECT_NE(text.find('+'), std::string::npos);
  EXPECT_NE(text.find('/'), std::string::npos);
  EXPECT_EQ(base64_decode(text).value(), all);
}

TEST(Base64, RejectsNonCanonicalTrailingBits) {
  // "Zg==" is canonical for "f"; "Zh==" sets unused low bits.
  auto bad = base64_decode("Zh==");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("non-canonical"), std::string::npos);
  EXPECT_FALSE(base64_decode("Zm9=").has_value());  // "fo" is Zm8=
  EXPECT_FALSE(base64_decode("Zh", kRaw).has_value());
  // The lenient mode (for formats that allow it) accepts and ignores those bits.
  EXPECT_EQ(base64_decode("Zh==", {.padded = true, .canonical = false}).value(), bytes("f"));
}

TEST(Base64, PaddingMustMatchTheMode) {
  EXPECT_FALSE(base64_decode("Zg").has_value());          // padded mode needs "=="
  EXPECT_FALSE(base64_decode("Zg=").has_value());         // wrong amount
  EXPECT_FALSE(base64_decode("Zg==", kRaw).has_value());  // raw mode refuses any '='
  EXPECT_FALSE(base64_decode("Z===").has_value());
  EXPECT_FALSE(base64_decode("====").has_value());
  EXPECT_FALSE(base64_decode("Zg==Zg==").has_value());  // padding in the middle
  EXPECT_FALSE(base64_decode("Z", kRaw).has_value());   // 1 mod 4 can never be valid
  EXPECT_FALSE(base64_decode("Zm9vY", kRaw).has_value());
}

TEST(Base64, RejectsWhitespaceAndForeignCharacters) {
  for (const char* text : {"Zm9v\n", " Zm9v", "Zm 9v", "Zm9v\r", "Zm-v", "Zm_v", "Zm9v\xff"}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << text;
    EXPECT_FALSE(base64_decode(text, kRaw).has_value()) << text;
  }
  auto bad = base64_decode("Zm9*");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("position 3"), std::string::npos);
}

TEST(Base64, DecodedSize) {
  EXPECT_EQ(base64_decoded_size(0), 0u);
  EXPECT_EQ(base64_decoded_size(2), 1u);
  EXPECT_EQ(base64_decoded_size(3), 2u);
  EXPECT_EQ(base64_decoded_size(43), 32u);
  EXPECT_EQ(base64_decoded_size(64), 48u);
}

}  // namespace
}  // namespace lucid
