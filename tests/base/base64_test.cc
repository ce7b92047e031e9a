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

TEST(Base64Url, Rfc4648VectorsWithoutPadding) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : cases) {
    EXPECT_EQ(base64url_encode(bytes(plain)), encoded);
    EXPECT_EQ(base64url_decode(encoded).value(), bytes(plain)) << encoded;
  }
  // RFC 7515 appendix A.1: the protected header {"typ":"JWT",\r\n "alg":"HS256"}.
  const std::vector<std::uint8_t> header = {123, 34, 116, 121, 112, 34, 58, 34, 74, 87, 84, 34, 44, 13, 10,
                                            32,  34, 97,  108, 103, 34, 58, 34, 72, 83, 50, 53, 54, 34, 125};
  EXPECT_EQ(base64url_encode(header), "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
}

TEST(Base64Url, UsesTheUrlAlphabetWhereStandardUsesPlusAndSlash) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  std::string standard = base64_encode(all, kRaw);
  std::string url = base64url_encode(all);
  ASSERT_EQ(standard.size(), url.size());
  for (std::size_t i = 0; i < url.size(); ++i) {
    char expected = standard[i] == '+' ? '-' : standard[i] == '/' ? '_' : standard[i];
    ASSERT_EQ(url[i], expected) << i;
  }
  EXPECT_NE(url.find('-'), std::string::npos);
  EXPECT_NE(url.find('_'), std::string::npos);
  EXPECT_EQ(base64url_decode(url).value(), all);
}

TEST(Base64Url, RoundTripsRandomLengths) {
  for (std::size_t n = 0; n < 200; ++n) {
    std::vector<std::uint8_t> data(n);
    random_bytes(data);
    std::string text = base64url_encode(data);
    EXPECT_EQ(text.size(), (n * 8 + 5) / 6);
    EXPECT_EQ(text.find_first_of("=+/"), std::string::npos);
    EXPECT_EQ(base64url_decode(text).value(), data);
  }
}

TEST(Base64Url, DecodingIsStrict) {
  // Padding, the standard alphabet's '+' and '/', whitespace and foreign bytes are refused.
  for (const char* text : {"Zg==", "Zg=", "Zm8=", "Zm9v+A", "Zm9v/A", "+/8", "Zm9v\n", " Zm9v", "Zm 9v",
                           "Zm9v\r", "Zm9v\t", "Zm9v.", "Zm9v\xff"}) {
    EXPECT_FALSE(base64url_decode(text).has_value()) << text;
  }
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)).has_value());
  // A length of 1 mod 4 cannot be a whole number of bytes.
  EXPECT_FALSE(base64url_decode("Z").has_value());
  EXPECT_FALSE(base64url_decode("Zm9vY").has_value());
  // Non-zero unused bits in the last character: "Zg" is "f", "Zh" is not canonical; "Zm8" is "fo".
  auto bad = base64url_decode("Zh");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("non-canonical base64url"), std::string::npos);
  EXPECT_FALSE(base64url_decode("Zm9").has_value());
  EXPECT_TRUE(base64url_decode("Zm8").has_value());
  auto position = base64url_decode("Zm9*");
  ASSERT_FALSE(position.has_value());
  EXPECT_NE(position.error().message.find("invalid base64url character at position 3"), std::string::npos);
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
