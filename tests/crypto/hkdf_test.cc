// HKDF-SHA256: RFC 5869 Appendix A test cases 1-3 (exact output keying material) and the length limit.
#include "lucid/crypto/hkdf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "lucid/base/hex.h"

namespace lucid::crypto {
namespace {

std::vector<std::uint8_t> unhex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or(std::vector<std::uint8_t>{});
}

std::vector<std::uint8_t> byte_range(int first, int last_inclusive) {
  std::vector<std::uint8_t> out;
  for (int b = first; b <= last_inclusive; ++b) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

std::vector<std::uint8_t> derive(const std::vector<std::uint8_t>& ikm, const std::vector<std::uint8_t>& salt,
                                 const std::vector<std::uint8_t>& info, std::size_t length) {
  std::vector<std::uint8_t> okm(length);
  auto status = hkdf_sha256(ikm, salt, info, okm);
  EXPECT_TRUE(status.has_value()) << (status ? "" : status.error().message);
  return okm;
}

// RFC 5869 A.1: basic test case with SHA-256.
TEST(HkdfSha256, Rfc5869TestCase1) {
  auto ikm = std::vector<std::uint8_t>(22, 0x0b);
  auto salt = unhex("000102030405060708090a0b0c");
  auto info = unhex("f0f1f2f3f4f5f6f7f8f9");
  EXPECT_EQ(to_hex(derive(ikm, salt, info, 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 A.2: longer inputs/outputs (80-byte IKM, salt and info; 82-byte OKM).
TEST(HkdfSha256, Rfc5869TestCase2) {
  auto ikm = byte_range(0x00, 0x4f);
  auto salt = byte_range(0x60, 0xaf);
  auto info = byte_range(0xb0, 0xff);
  ASSERT_EQ(ikm.size(), 80u);
  ASSERT_EQ(salt.size(), 80u);
  ASSERT_EQ(info.size(), 80u);
  EXPECT_EQ(to_hex(derive(ikm, salt, info, 82)),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

// RFC 5869 A.3: zero-length salt and info.
TEST(HkdfSha256, Rfc5869TestCase3) {
  auto ikm = std::vector<std::uint8_t>(22, 0x0b);
  EXPECT_EQ(to_hex(derive(ikm, {}, {}, 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  // RFC 5869 §2.2: an absent salt is HashLen zero bytes.
  EXPECT_EQ(derive(ikm, std::vector<std::uint8_t>(32, 0), {}, 42), derive(ikm, {}, {}, 42));
}

TEST(HkdfSha256, ShorterOutputIsAPrefix) {
  auto ikm = std::vector<std::uint8_t>(22, 0x0b);
  auto salt = unhex("000102030405060708090a0b0c");
  auto info = unhex("f0f1f2f3f4f5f6f7f8f9");
  auto long_okm = derive(ikm, salt, info, 255 * 32);
  for (std::size_t len : {0u, 1u, 31u, 32u, 33u, 42u, 64u, 65u, 1000u}) {
    auto okm = derive(ikm, salt, info, len);
    EXPECT_TRUE(std::equal(okm.begin(), okm.end(), long_okm.begin())) << "length " << len;
  }
  EXPECT_EQ(to_hex(std::span<const std::uint8_t>(long_okm).first(42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfSha256, DifferentInfoGivesDifferentKeys) {
  auto ikm = std::vector<std::uint8_t>(32, 0x42);
  EXPECT_NE(derive(ikm, {}, {0x01}, 32), derive(ikm, {}, {0x02}, 32));
}

TEST(HkdfSha256, RefusesMoreThan255Blocks) {
  auto ikm = std::vector<std::uint8_t>(32, 0x42);
  std::vector<std::uint8_t> max_okm(255 * 32);
  EXPECT_TRUE(hkdf_sha256(ikm, {}, {}, max_okm).has_value()) << "255 × 32 bytes is the RFC 5869 maximum";

  for (std::size_t len : {255u * 32u + 1u, 255u * 32u + 32u, 100000u}) {
    std::vector<std::uint8_t> okm(len, 0xee);
    auto status = hkdf_sha256(ikm, {}, {}, okm);
    ASSERT_FALSE(status.has_value()) << "length " << len;
    EXPECT_EQ(status.error().kind, ErrorKind::kInvalidArgument);
  }
}

}  // namespace
}  // namespace lucid::crypto
