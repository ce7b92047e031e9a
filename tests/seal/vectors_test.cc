// Checks the committed seal vectors (tests/vectors/sealed-chunk.json, manifest.json) against the
// library: another implementation that matches these files matches Lucid's format v1.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/crypto/aead.h"
#include "lucid/crypto/blake3.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/chunk_codec.h"
#include "lucid/seal/format.h"
#include "lucid/seal/manifest.h"
#include "lucid/seal/manifest_check.h"
#include "testing/testing.h"

namespace lucid::seal {
namespace {
using nlohmann::json;

json load(const std::string& name) {
  return json::parse(read_text_file(testing::project_vectors_dir() / name).value());
}

std::vector<std::uint8_t> hex(const json& v) {
  return from_hex(v.get<std::string>()).value();
}

TEST(SealVectors, EveryChunkDerivesSealsAndOpensAsRecorded) {
  json doc = load("sealed-chunk.json");
  SessionKey key;
  ASSERT_TRUE(from_hex_into(doc["session_key"].get<std::string>(), key.span()));
  SessionId sid{};
  std::string id_text = doc["session_id"];
  std::erase(id_text, '-');
  ASSERT_TRUE(from_hex_into(id_text, sid));
  ASSERT_EQ(doc["chunks"].size(), 2u);
  for (const auto& c : doc["chunks"]) {
    std::uint64_t index = c["index"];
    bool last = c["last"];
    SCOPED_TRACE(index);
    EXPECT_EQ(to_hex(derive_chunk_key(key, sid, index).span()), c["chunk_key"]);
    EXPECT_EQ(to_hex(chunk_nonce(sid, index)), c["nonce"]);
    EXPECT_EQ(to_hex(chunk_associated_data(sid, index, last)), c["associated_data"]);
    // Sealing the recorded Zstd payload reproduces the sealed bytes exactly (the AEAD is deterministic).
    auto k = derive_chunk_key(key, sid, index);
    std::vector<std::uint8_t> sealed;
    crypto::xchacha20poly1305_seal(k.span(), chunk_nonce(sid, index), chunk_associated_data(sid, index, last),
                                   hex(c["zstd_payload"]), sealed);
    EXPECT_EQ(to_hex(sealed), c["sealed"]);
    EXPECT_EQ(to_hex(crypto::merkle_leaf_hash(sealed)), c["leaf_hash"]);
    // And the codec opens it to the plaintext; with the other last flag it must not.
    ChunkCodec codec;
    std::vector<std::uint8_t> plain;
    ASSERT_TRUE(codec.open(key, sid, {index, last}, hex(c["sealed"]), kMaxChunkSize, plain));
    EXPECT_EQ(to_hex(plain), c["plaintext_hex"]);
    EXPECT_FALSE(codec.open(key, sid, {index, !last}, hex(c["sealed"]), kMaxChunkSize, plain));
  }
}

TEST(SealVectors, ManifestHashAndSignatureMatch) {
  json doc = load("manifest.json");
  auto m = parse_manifest(doc["manifest_json"].get<std::string>());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->canonical_unsigned_bytes().value(), doc["unsigned_canonical"]);
  std::string unsigned_bytes = doc["unsigned_canonical"];
  EXPECT_EQ(to_hex(crypto::blake3(
                {reinterpret_cast<const std::uint8_t*>(unsigned_bytes.data()), unsigned_bytes.size()})),
            doc["manifest_hash"]);
  EXPECT_EQ(to_hex(m->hash().value()), doc["manifest_hash"]);
  crypto::Ed25519Seed seed;
  ASSERT_TRUE(from_hex_into(doc["node_seed"].get<std::string>(), seed.span()));
  auto node = crypto::Ed25519KeyPair::from_seed(seed);
  EXPECT_EQ(to_hex(node.public_key()), doc["node_public_key"]);
  EXPECT_EQ(to_hex(m->signatures.at(0).signature), doc["signature"]);
  // Ed25519 is deterministic: re-signing gives the recorded signature.
  Manifest copy = *m;
  ASSERT_TRUE(copy.sign(node));
  EXPECT_EQ(to_hex(copy.signatures.at(0).signature), doc["signature"]);
  // The serialised manifest is exactly the canonical form plus a newline.
  EXPECT_EQ(serialize_manifest(*m).value(), doc["manifest_json"]);
  // The signature checks; only the short first chunk (a vector shortcut) is flagged.
  auto problems = check_manifest(*m, node.public_key());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].chunk_index, std::optional<std::uint64_t>(0));
}

}  // namespace
}  // namespace lucid::seal
