// One chunk through Zstd + XChaCha20-Poly1305: round trips, every binding of the associated data and
// the key, the decompression bound, and the compression figures of issue 2 item 5.
#include "lucid/seal/chunk_codec.h"
#include "testing/data.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "lucid/base/hex.h"
#include "lucid/base/random.h"
#include "lucid/crypto/aead.h"

namespace lucid::seal {
namespace {

using lucid::testing::random_data;

std::vector<std::uint8_t> text_data(std::size_t n, std::uint64_t seed) {
  return lucid::testing::log_text(n, seed);
}

struct Fixture {
  SessionKey key;
  SessionId id{};
  Fixture() {
    random_bytes(key.span());
    EXPECT_TRUE(parse_uuid(uuid_v4(), id));
  }
};

TEST(ChunkCodec, RoundTripsSmallEmptyAndChunkSizedPlaintexts) {
  Fixture f;
  ChunkCodec codec;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{kMinChunkSize}}) {
    auto plain = random_data(n, n + 1);
    std::vector<std::uint8_t> sealed;
    codec.seal(f.key, f.id, {3, false}, plain, sealed);
    EXPECT_GE(sealed.size(), crypto::kXChaChaTagBytes);
    std::vector<std::uint8_t> back;
    auto s = codec.open(f.key, f.id, {3, false}, sealed, n, back);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(back, plain) << "size " << n;
  }
}

TEST(ChunkCodec, CodecIsReusableAcrossManyChunks) {
  Fixture f;
  ChunkCodec codec;
  std::vector<std::uint8_t> sealed;
  std::vector<std::uint8_t> back;
  for (std::uint64_t i = 0; i < 20; ++i) {
    auto plain = i % 2 == 0 ? text_data(50000 + i * 37, i) : random_data(30000 + i * 11, i);
    codec.seal(f.key, f.id, {i, i == 19}, plain, sealed);
    ASSERT_TRUE(codec.open(f.key, f.id, {i, i == 19}, sealed, plain.size(), back).has_value()) << i;
    EXPECT_EQ(back, plain) << i;
  }
}

TEST(ChunkCodec, SealedBytesAreZstdFrameUnderXChaCha20Poly1305WithDerivedKeyNonceAndAd) {
  Fixture f;
  ChunkCodec codec;
  auto plain = text_data(10000, 9);
  std::vector<std::uint8_t> sealed;
  codec.seal(f.key, f.id, {5, true}, plain, sealed);
  // Open with the format's primitives directly: the payload must be a Zstd frame (magic 28 b5 2f fd).
  ChunkKey k = derive_chunk_key(f.key, f.id, 5);
  std::vector<std::uint8_t> payload;
  ASSERT_TRUE(crypto::xchacha20poly1305_open(k.span(), chunk_nonce(f.id, 5),
                                             chunk_associated_data(f.id, 5, true), sealed, payload)
                  .has_value());
  ASSERT_GE(payload.size(), 4u);
  EXPECT_EQ(to_hex(std::span(payload).first(4)), "28b52ffd");
  EXPECT_EQ(sealed.size(), payload.size() + crypto::kXChaChaTagBytes);
}

// Each binding: open with one thing different from seal → kAuthentication and nothing written.
class ChunkCodecBinding : public ::testing::Test {
 protected:
  void SetUp() override {
    plain_ = text_data(200000, 42);
    codec_.seal(f_.key, f_.id, {4, false}, plain_, sealed_);
  }
  void expect_auth_failure(const SessionKey& key, const SessionId& id, ChunkPosition pos,
                           const std::vector<std::uint8_t>& sealed) {
    const std::vector<std::uint8_t> sentinel = {0xde, 0xad, 0xbe, 0xef};
    std::vector<std::uint8_t> out = sentinel;
    auto s = codec_.open(key, id, pos, sealed, plain_.size(), out);
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().kind, ErrorKind::kAuthentication) << s.error().message;
    EXPECT_EQ(out, sentinel) << "plaintext was written despite the authentication failure";
    // And the codec still works afterwards.
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(codec_.open(f_.key, f_.id, {4, false}, sealed_, plain_.size(), back).has_value());
    EXPECT_EQ(back, plain_);
  }
  Fixture f_;
  ChunkCodec codec_;
  std::vector<std::uint8_t> plain_;
  std::vector<std::uint8_t> sealed_;
};

TEST_F(ChunkCodecBinding, WrongIndexFails) {
  expect_auth_failure(f_.key, f_.id, {5, false}, sealed_);
  expect_auth_failure(f_.key, f_.id, {3, false}, sealed_);
  expect_auth_failure(f_.key, f_.id, {4 + (1ULL << 32), false}, sealed_);
}

TEST_F(ChunkCodecBinding, WrongLastFlagFails) {
  expect_auth_failure(f_.key, f_.id, {4, true}, sealed_);
}

TEST_F(ChunkCodecBinding, WrongSessionIdFails) {
  SessionId other = f_.id;
  other[0] ^= 0x01;
  expect_auth_failure(f_.key, other, {4, false}, sealed_);
}

TEST_F(ChunkCodecBinding, WrongSessionKeyFails) {
  SessionKey other = f_.key;
  other.data()[31] ^= 0x01;
  expect_auth_failure(other, f_.id, {4, false}, sealed_);
}

TEST_F(ChunkCodecBinding, AnyFlippedByteFails) {
  for (std::size_t pos : {std::size_t{0}, sealed_.size() / 2, sealed_.size() - 17, sealed_.size() - 1}) {
    auto bad = sealed_;
    bad[pos] ^= 0x40;
    expect_auth_failure(f_.key, f_.id, {4, false}, bad);
  }
}

TEST_F(ChunkCodecBinding, TruncatedOrExtendedCiphertextFails) {
  auto shorter = sealed_;
  shorter.pop_back();
  expect_auth_failure(f_.key, f_.id, {4, false}, shorter);
  auto longer = sealed_;
  longer.push_back(0);
  expect_auth_failure(f_.key, f_.id, {4, false}, longer);
  std::vector<std::uint8_t> tiny(crypto::kXChaChaTagBytes - 1, 0);
  expect_auth_failure(f_.key, f_.id, {4, false}, tiny);
}

TEST_F(ChunkCodecBinding, MaxPlainBytesBoundIsEnforced) {
  std::vector<std::uint8_t> out = {1, 2, 3};
  auto s = codec_.open(f_.key, f_.id, {4, false}, sealed_, plain_.size() - 1, out);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind, ErrorKind::kCorrupt) << s.error().message;
  EXPECT_NE(out, plain_);
  // Exactly the plaintext size is allowed.
  ASSERT_TRUE(codec_.open(f_.key, f_.id, {4, false}, sealed_, plain_.size(), out).has_value());
  EXPECT_EQ(out, plain_);
}

// An authentic payload that is not a Zstd frame is kCorrupt, not a crash or garbage output.
TEST(ChunkCodec, AuthenticNonZstdPayloadIsCorrupt) {
  Fixture f;
  ChunkKey k = derive_chunk_key(f.key, f.id, 0);
  std::vector<std::uint8_t> junk = {'n', 'o', 't', ' ', 'z', 's', 't', 'd', 0, 1, 2, 3};
  std::vector<std::uint8_t> sealed;
  crypto::xchacha20poly1305_seal(k.span(), chunk_nonce(f.id, 0), chunk_associated_data(f.id, 0, true), junk,
                                 sealed);
  ChunkCodec codec;
  std::vector<std::uint8_t> out;
  auto s = codec.open(f.key, f.id, {0, true}, sealed, kMaxChunkSize, out);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind, ErrorKind::kCorrupt);
  EXPECT_TRUE(out.empty());
}

// ---- Zstd figures (issue 2, item 5) ----

TEST(ChunkCodecZstd, TextLikeDataCompressesBelowHalf) {
  Fixture f;
  ChunkCodec codec;
  auto plain = text_data(kMinChunkSize, 2026);
  std::vector<std::uint8_t> sealed;
  codec.seal(f.key, f.id, {0, true}, plain, sealed);
  double ratio = static_cast<double>(sealed.size()) / static_cast<double>(plain.size());
  std::printf("[ figures  ] text-like 8 MiB: %zu plain -> %zu sealed, ratio %.4f (zstd level %d)\n",
              plain.size(), sealed.size(), ratio, kDefaultZstdLevel);
  RecordProperty("text_sealed_to_plain_ratio", std::to_string(ratio));
  EXPECT_LT(ratio, 0.5);
  std::vector<std::uint8_t> back;
  ASSERT_TRUE(codec.open(f.key, f.id, {0, true}, sealed, plain.size(), back).has_value());
  EXPECT_EQ(back, plain);
}

// Incompressible input: Zstd falls back to raw blocks (3-byte header per 128 KiB block) plus its frame
// header and checksum; the AEAD adds its 16-byte tag. Nothing else may grow the data.
TEST(ChunkCodecZstd, IncompressibleDataGrowsByABoundedOverheadOnly) {
  Fixture f;
  ChunkCodec codec;
  for (std::size_t n : {std::size_t{8} * kMiB, std::size_t{16} * kMiB, std::size_t{8} * kMiB + 12345}) {
    auto plain = random_data(n, n);
    std::vector<std::uint8_t> sealed;
    codec.seal(f.key, f.id, {1, false}, plain, sealed);
    const std::size_t blocks = (n + 128 * 1024 - 1) / (128 * 1024);
    const std::size_t bound = 16 + 3 * blocks + 32;
    ASSERT_GE(sealed.size(), plain.size());
    const std::size_t overhead = sealed.size() - plain.size();
    std::printf("[ figures  ] random %zu bytes: sealed %zu, overhead %zu bytes (%.5f%%), bound %zu\n", n,
                sealed.size(), overhead, 100.0 * static_cast<double>(overhead) / static_cast<double>(n),
                bound);
    EXPECT_LE(overhead, bound) << "n=" << n;
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(codec.open(f.key, f.id, {1, false}, sealed, n, back).has_value());
    EXPECT_EQ(back, plain);
  }
}

TEST(ChunkCodecZstd, CompressionLevelIsHonoured) {
  Fixture f;
  auto plain = text_data(kMiB, 77);
  ChunkCodec fast(1);
  ChunkCodec strong(19);
  std::vector<std::uint8_t> a;
  std::vector<std::uint8_t> b;
  fast.seal(f.key, f.id, {0, true}, plain, a);
  strong.seal(f.key, f.id, {0, true}, plain, b);
  EXPECT_LT(b.size(), a.size());
  std::vector<std::uint8_t> back;
  ASSERT_TRUE(fast.open(f.key, f.id, {0, true}, b, plain.size(), back).has_value());
  EXPECT_EQ(back, plain);
}

}  // namespace
}  // namespace lucid::seal
