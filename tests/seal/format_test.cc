// The sealed-chunk format v1: per-chunk key derivation, the nonce scheme, the associated data and the
// session directory layout (docs/formats.md), plus the nonce-uniqueness property of issue 2 item 4.
#include "lucid/seal/format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "lucid/base/hex.h"
#include "lucid/base/random.h"
#include "lucid/crypto/hkdf.h"

namespace lucid::seal {
namespace {

SessionKey key_of(std::uint8_t fill) {
  SessionKey k;
  std::fill(k.data(), k.data() + k.size(), fill);
  return k;
}

SessionId id_of(std::uint8_t fill) {
  SessionId id{};
  id.fill(fill);
  return id;
}

SessionId random_session_id() {
  SessionId id{};
  EXPECT_TRUE(parse_uuid(uuid_v4(), id));
  return id;
}

std::array<std::uint8_t, 8> u64be(std::uint64_t v) {
  std::array<std::uint8_t, 8> out{};
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::string bytes_of(std::span<const std::uint8_t> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// ---- key derivation ----

TEST(SealFormat, ChunkKeyIsHkdfSha256OfSessionKeySaltedBySessionIdWithLabelAndIndex) {
  SessionKey sk = key_of(0x42);
  SessionId id = id_of(0x17);
  for (std::uint64_t index : {0ULL, 1ULL, 255ULL, 256ULL, 0x0102030405060708ULL, ~0ULL}) {
    std::vector<std::uint8_t> info(kChunkKeyInfoLabel.begin(), kChunkKeyInfoLabel.end());
    auto be = u64be(index);
    info.insert(info.end(), be.begin(), be.end());
    std::array<std::uint8_t, 32> expected{};
    ASSERT_TRUE(crypto::hkdf_sha256(sk.span(), id, info, expected).has_value());
    ChunkKey got = derive_chunk_key(sk, id, index);
    EXPECT_EQ(to_hex(got.span()), to_hex(expected)) << "index " << index;
  }
}

TEST(SealFormat, ChunkKeysDifferPerIndex) {
  SessionKey sk = key_of(0x01);
  SessionId id = id_of(0x02);
  std::unordered_set<std::string> seen;
  for (std::uint64_t i = 0; i < 256; ++i) {
    ChunkKey k = derive_chunk_key(sk, id, i);
    EXPECT_TRUE(seen.insert(bytes_of(k.span())).second) << "chunk key repeats at index " << i;
  }
}

TEST(SealFormat, ChunkKeysDifferPerSessionIdAndPerSessionKey) {
  SessionKey sk = key_of(0x01);
  ChunkKey base = derive_chunk_key(sk, id_of(0x02), 5);
  SessionId other_id = id_of(0x02);
  other_id[15] ^= 0x01;  // one bit of the session id
  EXPECT_NE(to_hex(derive_chunk_key(sk, other_id, 5).span()), to_hex(base.span()));
  SessionKey other_key = sk;
  other_key.data()[0] ^= 0x80;  // one bit of the session key
  EXPECT_NE(to_hex(derive_chunk_key(other_key, id_of(0x02), 5).span()), to_hex(base.span()));
  // Deterministic: the same inputs give the same key.
  EXPECT_EQ(to_hex(derive_chunk_key(sk, id_of(0x02), 5).span()), to_hex(base.span()));
}

// ---- nonce ----

TEST(SealFormat, NonceIsSessionIdThenBigEndianIndex) {
  SessionId id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(0xa0 + i);
  ChunkNonce n = chunk_nonce(id, 0x0102030405060708ULL);
  EXPECT_EQ(to_hex(n),
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
            "0102030405060708");
  EXPECT_EQ(to_hex(chunk_nonce(id, 0)), "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf0000000000000000");
  EXPECT_EQ(to_hex(chunk_nonce(id, 1)), "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf0000000000000001");
  EXPECT_EQ(to_hex(chunk_nonce(id, ~0ULL)), "a0a1a2a3a4a5a6a7a8a9aaabacadaeafffffffffffffffff");
}

// ---- associated data ----

TEST(SealFormat, AssociatedDataIsLabelSessionIdIndexAndLastFlag) {
  SessionId id = random_session_id();
  const std::uint64_t index = 0x00000000deadbeefULL;
  for (bool last : {false, true}) {
    AssociatedData ad = chunk_associated_data(id, index, last);
    ASSERT_EQ(ad.size(), kAssociatedDataLabel.size() + 16 + 8 + 1);
    std::string expected(kAssociatedDataLabel);
    expected += bytes_of(id);
    expected += bytes_of(u64be(index));
    expected.push_back(last ? '\x01' : '\x00');
    EXPECT_EQ(to_hex({reinterpret_cast<const std::uint8_t*>(expected.data()), expected.size()}), to_hex(ad))
        << "last=" << last;
  }
  EXPECT_EQ(kAssociatedDataLabel, "lucid/seal/v1/chunk");
  EXPECT_EQ(kChunkKeyInfoLabel, "lucid/seal/v1/chunk-key");
}

TEST(SealFormat, AssociatedDataDiffersByIndexLastFlagAndSession) {
  SessionId id = id_of(0x33);
  auto base = chunk_associated_data(id, 7, false);
  EXPECT_NE(base, chunk_associated_data(id, 7, true));
  EXPECT_NE(base, chunk_associated_data(id, 8, false));
  EXPECT_NE(base, chunk_associated_data(id_of(0x34), 7, false));
  EXPECT_EQ(base, chunk_associated_data(id, 7, false));
}

// ---- layout ----

TEST(SealFormat, ChunkRelativePathIsEightDigitsUnderChunks) {
  EXPECT_EQ(chunk_relative_path(0).string(), "chunks/00000000.sealed");
  EXPECT_EQ(chunk_relative_path(7).string(), "chunks/00000007.sealed");
  EXPECT_EQ(chunk_relative_path(12345678).string(), "chunks/12345678.sealed");
  EXPECT_EQ(chunk_relative_path(99999999).string(), "chunks/99999999.sealed");
  EXPECT_EQ(kManifestFileName, "manifest.json");
  EXPECT_EQ(kChunksDirName, "chunks");
}

TEST(SealFormat, ChunkSizeBounds) {
  EXPECT_EQ(kMinChunkSize, 8u * 1024 * 1024);
  EXPECT_EQ(kMaxChunkSize, 16u * 1024 * 1024);
  EXPECT_EQ(kDefaultChunkSize, kMinChunkSize);
}

// ---- nonce property (issue 2, item 4) ----

// Indices 0..63 plus some far-away ones, including values whose low bytes collide with small ones.
std::vector<std::uint64_t> property_indices() {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < 64; ++i) out.push_back(i);
  for (std::uint64_t v : {255ULL, 256ULL, 65535ULL, 65536ULL, 1ULL << 32, (1ULL << 32) + 1, 1ULL << 40,
                          (1ULL << 56) + 3, 0x8000000000000000ULL, ~0ULL - 1, ~0ULL})
    out.push_back(v);
  return out;
}

void check_no_repeats(const std::vector<SessionId>& ids, const std::vector<SessionKey>& keys) {
  const auto indices = property_indices();
  std::unordered_set<std::string> nonces;
  std::unordered_set<std::string> chunk_keys;
  std::unordered_set<std::string> key_nonce_pairs;
  nonces.reserve(ids.size() * indices.size());
  chunk_keys.reserve(ids.size() * indices.size());
  key_nonce_pairs.reserve(ids.size() * indices.size());
  std::size_t repeats = 0;
  for (std::size_t s = 0; s < ids.size(); ++s) {
    std::unordered_set<std::string> session_nonces;
    for (std::uint64_t i : indices) {
      std::string nonce = bytes_of(chunk_nonce(ids[s], i));
      std::string key = bytes_of(derive_chunk_key(keys[s], ids[s], i).span());
      if (!session_nonces.insert(nonce).second) ++repeats;
      if (!nonces.insert(nonce).second) ++repeats;
      if (!chunk_keys.insert(key).second) ++repeats;
      if (!key_nonce_pairs.insert(key + nonce).second) ++repeats;
    }
    ASSERT_EQ(session_nonces.size(), indices.size()) << "nonce repeats within session " << s;
  }
  EXPECT_EQ(repeats, 0u);
  EXPECT_EQ(nonces.size(), ids.size() * indices.size());
  EXPECT_EQ(chunk_keys.size(), ids.size() * indices.size());
  EXPECT_EQ(key_nonce_pairs.size(), ids.size() * indices.size());
}

TEST(SealNonceProperty, NoKeyOrNonceRepeatsOverManySessionsWithFreshKeys) {
  constexpr std::size_t kSessions = 2000;
  std::vector<SessionId> ids;
  std::vector<SessionKey> keys(kSessions);
  for (std::size_t s = 0; s < kSessions; ++s) {
    ids.push_back(random_session_id());
    random_bytes(keys[s].span());
  }
  check_no_repeats(ids, keys);
}

// The worst case: one session key reused for every session (a key-handling mistake). Session ids
// alone must still keep every chunk key and every nonce distinct.
TEST(SealNonceProperty, NoKeyOrNonceRepeatsOverManySessionsSharingOneSessionKey) {
  constexpr std::size_t kSessions = 2000;
  SessionKey shared;
  random_bytes(shared.span());
  std::vector<SessionId> ids;
  for (std::size_t s = 0; s < kSessions; ++s) ids.push_back(random_session_id());
  // Adversarial neighbours: ids that differ from the first in exactly one bit.
  for (std::size_t bit = 0; bit < 128; ++bit) {
    SessionId id = ids[0];
    id[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    ids.push_back(id);
  }
  std::vector<SessionKey> keys(ids.size(), shared);
  check_no_repeats(ids, keys);
}

TEST(SealNonceProperty, SameSessionKeyDifferentSessionIdsGiveDifferentKeysAndNonces) {
  SessionKey shared;
  random_bytes(shared.span());
  SessionId a = random_session_id();
  SessionId b = random_session_id();
  ASSERT_NE(a, b);
  for (std::uint64_t i : property_indices()) {
    EXPECT_NE(chunk_nonce(a, i), chunk_nonce(b, i)) << "index " << i;
    EXPECT_NE(to_hex(derive_chunk_key(shared, a, i).span()), to_hex(derive_chunk_key(shared, b, i).span()))
        << "index " << i;
    // Nor does a chunk of one session share a nonce with any chunk of the other.
    for (std::uint64_t j : {0ULL, 1ULL, 63ULL, ~0ULL}) EXPECT_NE(chunk_nonce(a, i), chunk_nonce(b, j));
  }
}

TEST(SealNonceProperty, UuidV4SessionIdsAreDistinctAndVersion4) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string u = uuid_v4();
    SessionId id{};
    ASSERT_TRUE(parse_uuid(u, id)) << u;
    EXPECT_EQ(id[6] >> 4, 4) << u;       // version 4
    EXPECT_EQ(id[8] & 0xc0, 0x80) << u;  // RFC 4122 variant
    EXPECT_TRUE(seen.insert(u).second) << "repeated session id " << u;
  }
}

}  // namespace
}  // namespace lucid::seal
