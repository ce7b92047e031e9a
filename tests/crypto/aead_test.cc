// XChaCha20-Poly1305: the draft-irtf-cfrg-xchacha-03 Appendix A.3.1 AEAD vector, round trips, and
// refusal of any tampering (ciphertext, tag, associated data, nonce, key) or truncation.
#include "lucid/crypto/aead.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/hex.h"

namespace lucid::crypto {
namespace {

using Key = std::array<std::uint8_t, kXChaChaKeyBytes>;
using Nonce = std::array<std::uint8_t, kXChaChaNonceBytes>;

std::vector<std::uint8_t> unhex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or(std::vector<std::uint8_t>{});
}

template <std::size_t N>
std::array<std::uint8_t, N> unhex_array(std::string_view text) {
  std::array<std::uint8_t, N> out{};
  EXPECT_TRUE(from_hex_into(text, out).has_value()) << text;
  return out;
}

std::vector<std::uint8_t> ascii(std::string_view s) {
  return {s.begin(), s.end()};
}

// draft-irtf-cfrg-xchacha-03, Appendix A.3.1 (AEAD_XChaCha20_Poly1305 example and test vector).
struct DraftVector {
  std::vector<std::uint8_t> plaintext = ascii(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
      "sunscreen would be it.");
  std::vector<std::uint8_t> aad = unhex("50515253c0c1c2c3c4c5c6c7");
  Key key = unhex_array<32>("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  Nonce nonce = unhex_array<24>("404142434445464748494a4b4c4d4e4f5051525354555657");
  std::string ciphertext_hex =
      "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
      "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
      "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
      "21f9664c97637da9768812f615c68b13b52e";
  std::string tag_hex = "c0875924c1c7987947deafd8780acf49";

  std::vector<std::uint8_t> sealed() const { return unhex(ciphertext_hex + tag_hex); }
};

// Expects `open` to refuse with kAuthentication and leave `out` empty (it starts full of junk).
void expect_refused(const Key& key, const Nonce& nonce, const std::vector<std::uint8_t>& aad,
                    const std::vector<std::uint8_t>& sealed, const std::string& what) {
  std::vector<std::uint8_t> out(sealed.size() + 5, 0xa5);
  auto status = xchacha20poly1305_open(key, nonce, aad, sealed, out);
  ASSERT_FALSE(status.has_value()) << what << " was accepted";
  EXPECT_EQ(status.error().kind, ErrorKind::kAuthentication) << what;
  EXPECT_TRUE(out.empty()) << what << ": output buffer holds " << out.size() << " bytes";
}

TEST(XChaCha20Poly1305, DraftA31Seal) {
  DraftVector v;
  ASSERT_EQ(v.plaintext.size(), 114u);
  std::vector<std::uint8_t> out;
  xchacha20poly1305_seal(v.key, v.nonce, v.aad, v.plaintext, out);
  ASSERT_EQ(out.size(), v.plaintext.size() + kXChaChaTagBytes);
  std::string hex = to_hex(out);
  EXPECT_EQ(hex.substr(0, 2 * v.plaintext.size()), v.ciphertext_hex);
  EXPECT_EQ(hex.substr(2 * v.plaintext.size()), v.tag_hex);
}

TEST(XChaCha20Poly1305, SealReplacesPreviousOutputContents) {
  DraftVector v;
  std::vector<std::uint8_t> out(1000, 0x77);
  xchacha20poly1305_seal(v.key, v.nonce, v.aad, v.plaintext, out);
  EXPECT_EQ(out, v.sealed());
}

TEST(XChaCha20Poly1305, DraftA31Open) {
  DraftVector v;
  std::vector<std::uint8_t> out(3, 0xff);
  auto status = xchacha20poly1305_open(v.key, v.nonce, v.aad, v.sealed(), out);
  ASSERT_TRUE(status.has_value()) << status.error().message;
  EXPECT_EQ(out, v.plaintext);
}

TEST(XChaCha20Poly1305, RoundTripsVariousSizes) {
  std::mt19937_64 rng(2024);
  Key key{};
  Nonce nonce{};
  for (auto& b : key) b = static_cast<std::uint8_t>(rng());
  for (auto& b : nonce) b = static_cast<std::uint8_t>(rng());
  for (std::size_t size : {0u, 1u, 15u, 16u, 17u, 63u, 64u, 65u, 1000u, 70000u}) {
    for (std::size_t ad_size : {0u, 1u, 40u}) {
      std::vector<std::uint8_t> plaintext(size);
      std::vector<std::uint8_t> aad(ad_size);
      for (auto& b : plaintext) b = static_cast<std::uint8_t>(rng());
      for (auto& b : aad) b = static_cast<std::uint8_t>(rng());
      std::vector<std::uint8_t> sealed;
      xchacha20poly1305_seal(key, nonce, aad, plaintext, sealed);
      ASSERT_EQ(sealed.size(), size + kXChaChaTagBytes);
      if (size >= 16) {
        EXPECT_FALSE(std::equal(plaintext.begin(), plaintext.begin() + 16, sealed.begin()))
            << "ciphertext starts with the plaintext";
      }
      std::vector<std::uint8_t> opened;
      auto status = xchacha20poly1305_open(key, nonce, aad, sealed, opened);
      ASSERT_TRUE(status.has_value()) << "size " << size << ": " << status.error().message;
      EXPECT_EQ(opened, plaintext) << "size " << size << " ad " << ad_size;
    }
  }
}

TEST(XChaCha20Poly1305, RefusesAFlippedBitInCiphertext) {
  DraftVector v;
  const auto good = v.sealed();
  const std::size_t ct_len = good.size() - kXChaChaTagBytes;
  for (std::size_t i = 0; i < ct_len; ++i) {
    auto bad = good;
    bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
    expect_refused(v.key, v.nonce, v.aad, bad, "ciphertext byte " + std::to_string(i));
  }
}

TEST(XChaCha20Poly1305, RefusesAFlippedBitInTag) {
  DraftVector v;
  const auto good = v.sealed();
  for (std::size_t i = good.size() - kXChaChaTagBytes; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = good;
      bad[i] ^= static_cast<std::uint8_t>(1u << bit);
      expect_refused(v.key, v.nonce, v.aad, bad,
                     "tag byte " + std::to_string(i) + " bit " + std::to_string(bit));
    }
  }
}

TEST(XChaCha20Poly1305, RefusesAFlippedBitInAssociatedData) {
  DraftVector v;
  for (std::size_t i = 0; i < v.aad.size(); ++i) {
    auto aad = v.aad;
    aad[i] ^= static_cast<std::uint8_t>(0x80u >> (i % 8));
    expect_refused(v.key, v.nonce, aad, v.sealed(), "AD byte " + std::to_string(i));
  }
  expect_refused(v.key, v.nonce, {}, v.sealed(), "missing AD");
  auto longer = v.aad;
  longer.push_back(0);
  expect_refused(v.key, v.nonce, longer, v.sealed(), "AD with an extra zero byte");
}

TEST(XChaCha20Poly1305, RefusesAFlippedBitInNonceOrKey) {
  DraftVector v;
  for (std::size_t i = 0; i < v.nonce.size(); ++i) {
    auto nonce = v.nonce;
    nonce[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
    // Bytes 0-15 feed HChaCha20, bytes 16-23 the inner ChaCha20 nonce: both halves must matter.
    expect_refused(v.key, nonce, v.aad, v.sealed(), "nonce byte " + std::to_string(i));
  }
  for (std::size_t i = 0; i < v.key.size(); ++i) {
    auto key = v.key;
    key[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
    expect_refused(key, v.nonce, v.aad, v.sealed(), "key byte " + std::to_string(i));
  }
}

TEST(XChaCha20Poly1305, RefusesTruncatedAndExtendedInput) {
  DraftVector v;
  const auto good = v.sealed();
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, kXChaChaTagBytes - 1}) {
    std::vector<std::uint8_t> short_input(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len));
    expect_refused(v.key, v.nonce, v.aad, short_input, "input of " + std::to_string(len) + " bytes");
  }
  for (std::size_t drop : {std::size_t{1}, kXChaChaTagBytes, good.size() - kXChaChaTagBytes}) {
    std::vector<std::uint8_t> truncated(good.begin(), good.end() - static_cast<std::ptrdiff_t>(drop));
    expect_refused(v.key, v.nonce, v.aad, truncated, "input truncated by " + std::to_string(drop));
  }
  auto extended = good;
  extended.push_back(0);
  expect_refused(v.key, v.nonce, v.aad, extended, "input with a trailing byte");
}

TEST(XChaCha20Poly1305, EmptyPlaintextIsJustATagAndStillAuthenticated) {
  DraftVector v;
  std::vector<std::uint8_t> sealed;
  xchacha20poly1305_seal(v.key, v.nonce, v.aad, {}, sealed);
  ASSERT_EQ(sealed.size(), kXChaChaTagBytes);
  std::vector<std::uint8_t> out(4, 1);
  ASSERT_TRUE(xchacha20poly1305_open(v.key, v.nonce, v.aad, sealed, out).has_value());
  EXPECT_TRUE(out.empty());
  sealed[0] ^= 1;
  expect_refused(v.key, v.nonce, v.aad, sealed, "tag-only input with a flipped bit");
}

}  // namespace
}  // namespace lucid::crypto
