// Manifest v1: canonical serialisation round trip, hash and signature, strict parsing that names the
// offending field, and check_manifest flagging each kind of inconsistency.
#include "lucid/seal/manifest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/canonical_json.h"
#include "lucid/base/hex.h"
#include "lucid/base/random.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/format.h"
#include "lucid/seal/manifest_check.h"

namespace lucid::seal {
namespace {
using nlohmann::json;

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Recomputes the root over the listed leaves and signs: a manifest as seal_stream would write it.
void finish(Manifest& m, const crypto::Ed25519KeyPair& key) {
  std::vector<crypto::Digest> leaves;
  for (const auto& c : m.chunks) leaves.push_back(c.leaf_hash);
  m.merkle_root = crypto::merkle_root(leaves);
  ASSERT_TRUE(m.sign(key).has_value());
}

Manifest make_manifest(const crypto::Ed25519KeyPair& node, std::size_t chunks = 3) {
  Manifest m;
  m.session_id = uuid_v4();
  m.created_at = "2026-11-26T17:52:26Z";
  m.codec = "video/mp2t";
  m.compression_level = 3;
  m.chunk_size = kMinChunkSize;
  m.chunk_count = chunks;
  for (std::size_t i = 0; i < chunks; ++i) {
    bool last = i + 1 == chunks;
    std::string bytes = "sealed chunk " + std::to_string(i);
    ManifestChunk c{i, kMinChunkSize + 218, last ? 1234 : kMinChunkSize,
                    crypto::merkle_leaf_hash(as_bytes(bytes))};
    m.total_bytes += c.plain_bytes;
    m.chunks.push_back(c);
  }
  m.participants.push_back({"node", node.public_key()});
  m.participants.push_back({"participant", crypto::Ed25519KeyPair::generate().public_key()});
  m.recorder_software = "lucid-node-worker";
  m.recorder_version = "0.1.0";
  m.device_fingerprint = std::string(64, 'a');
  finish(m, node);
  return m;
}

std::vector<std::string> subjects(const std::vector<Problem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.subject);
  return out;
}

bool has_subject(const std::vector<Problem>& problems, const std::string& subject) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const Problem& p) { return p.subject == subject; });
}

std::string joined(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.subject + ": " + p.message + "\n";
  return out;
}

// ---- round trip, hash, signature ----

TEST(Manifest, ParseOfSerializeIsIdentity) {
  auto node = crypto::Ed25519KeyPair::generate();
  Manifest m = make_manifest(node, 5);
  auto text = serialize_manifest(m);
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_TRUE(text->ends_with("}\n"));
  auto parsed = parse_manifest(*text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->to_json(), m.to_json());
  EXPECT_EQ(parsed->session_id, m.session_id);
  EXPECT_EQ(parsed->created_at, m.created_at);
  EXPECT_EQ(parsed->codec, m.codec);
  EXPECT_EQ(parsed->compression, "zstd");
  EXPECT_EQ(parsed->compression_level, 3);
  EXPECT_EQ(parsed->chunk_size, m.chunk_size);
  EXPECT_EQ(parsed->chunk_count, 5u);
  EXPECT_EQ(parsed->total_bytes, m.total_bytes);
  EXPECT_EQ(parsed->merkle_root, m.merkle_root);
  ASSERT_EQ(parsed->chunks.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(parsed->chunks[i].index, m.chunks[i].index);
    EXPECT_EQ(parsed->chunks[i].sealed_bytes, m.chunks[i].sealed_bytes);
    EXPECT_EQ(parsed->chunks[i].plain_bytes, m.chunks[i].plain_bytes);
    EXPECT_EQ(parsed->chunks[i].leaf_hash, m.chunks[i].leaf_hash);
  }
  ASSERT_EQ(parsed->participants.size(), 2u);
  EXPECT_EQ(parsed->participants[0].role, "node");
  EXPECT_EQ(parsed->participants[0].public_key, node.public_key());
  ASSERT_EQ(parsed->signatures.size(), 1u);
  EXPECT_EQ(parsed->signatures[0].signature, m.signatures[0].signature);
  EXPECT_EQ(parsed->recorder_software, m.recorder_software);
  EXPECT_EQ(parsed->recorder_version, m.recorder_version);
  EXPECT_EQ(parsed->device_fingerprint, m.device_fingerprint);
  // Serialising the parsed manifest gives the same bytes.
  EXPECT_EQ(serialize_manifest(*parsed).value(), *text);
  EXPECT_TRUE(check_manifest(*parsed, node.public_key()).empty()) << joined(check_manifest(*parsed, {}));
}

TEST(Manifest, SerializedFormIsCanonicalJson) {
  auto node = crypto::Ed25519KeyPair::generate();
  Manifest m = make_manifest(node);
  auto text = serialize_manifest(m).value();
  auto canonical = canonical_json(json::parse(text)).value();
  EXPECT_EQ(text, canonical + "\n");
  auto doc = json::parse(text);
  EXPECT_EQ(doc["format"], "lucid.session-manifest");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["algorithms"], manifest_algorithms());
}

TEST(Manifest, HashIsBlake3OfCanonicalUnsignedBytes) {
  auto node = crypto::Ed25519KeyPair::generate();
  Manifest m = make_manifest(node);
  // Independently: drop "signatures" from the written document and canonicalise.
  json doc = json::parse(serialize_manifest(m).value());
  ASSERT_TRUE(doc.contains("signatures"));
  doc.erase("signatures");
  std::string unsigned_bytes = canonical_json(doc).value();
  EXPECT_EQ(m.canonical_unsigned_bytes().value(), unsigned_bytes);
  EXPECT_EQ(m.hash().value(), crypto::blake3(as_bytes(unsigned_bytes)));
  // Signatures are not part of the hash; every other field is.
  Manifest resigned = m;
  resigned.signatures.clear();
  EXPECT_EQ(resigned.hash().value(), m.hash().value());
  Manifest changed = m;
  changed.created_at = "2026-11-26T17:52:27Z";
  EXPECT_NE(changed.hash().value(), m.hash().value());
}

TEST(Manifest, SignatureVerifiesOverCanonicalUnsignedBytes) {
  auto node = crypto::Ed25519KeyPair::generate();
  Manifest m = make_manifest(node);
  ASSERT_EQ(m.signatures.size(), 1u);
  EXPECT_EQ(m.signatures[0].public_key, node.public_key());
  auto bytes = m.canonical_unsigned_bytes().value();
  EXPECT_TRUE(crypto::ed25519_verify(node.public_key(), as_bytes(bytes), m.signatures[0].signature));
  auto other = crypto::Ed25519KeyPair::generate();
  EXPECT_FALSE(crypto::ed25519_verify(other.public_key(), as_bytes(bytes), m.signatures[0].signature));
  bytes[10] ^= 1;
  EXPECT_FALSE(crypto::ed25519_verify(node.public_key(), as_bytes(bytes), m.signatures[0].signature));
}

TEST(Manifest, SignReplacesTheSignersPreviousSignatureAndKeepsOthers) {
  auto node = crypto::Ed25519KeyPair::generate();
  auto witness = crypto::Ed25519KeyPair::generate();
  Manifest m = make_manifest(node);
  ASSERT_TRUE(m.sign(witness).has_value());
  EXPECT_EQ(m.signatures.size(), 2u);
  m.created_at = "2027-01-01T00:00:00Z";
  ASSERT_TRUE(m.sign(node).has_value());
  ASSERT_EQ(m.signatures.size(), 2u);
  // The node's fresh signature verifies; the witness's (over the old bytes) no longer does.
  auto bytes = m.canonical_unsigned_bytes().value();
  for (const auto& s : m.signatures) {
    bool ok = crypto::ed25519_verify(s.public_key, as_bytes(bytes), s.signature);
    EXPECT_EQ(ok, s.public_key == node.public_key());
  }
}

TEST(Manifest, NodePublicKeyRequiresExactlyOneNode) {
  auto node = crypto::Ed25519KeyPair::generate();
  Manifest m = make_manifest(node);
  EXPECT_EQ(m.node_public_key(), node.public_key());
  m.participants.push_back({"node", crypto::Ed25519KeyPair::generate().public_key()});
  EXPECT_FALSE(m.node_public_key().has_value());
  m.participants.clear();
  EXPECT_FALSE(m.node_public_key().has_value());
}

// ---- strict parsing ----

class ManifestParse : public ::testing::Test {
 protected:
  void SetUp() override { doc_ = json::parse(serialize_manifest(make_manifest(node_)).value()); }

  // Parsing `doc` must fail with an error whose message starts with `field` and contains `what`.
  void expect_error(const json& doc, const std::string& field, const std::string& what = "") {
    auto r = parse_manifest(doc.dump());
    ASSERT_FALSE(r.has_value()) << "accepted a manifest with a bad " << field;
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt);
    EXPECT_TRUE(r.error().message.starts_with(field + ":")) << r.error().message;
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  }

  crypto::Ed25519KeyPair node_ = crypto::Ed25519KeyPair::generate();
  json doc_;
};

TEST_F(ManifestParse, UnmodifiedDocumentParses) {
  EXPECT_TRUE(parse_manifest(doc_.dump()).has_value());
  EXPECT_TRUE(parse_manifest(doc_.dump(2)).has_value());  // whitespace does not matter to the parser
}

TEST_F(ManifestParse, MissingFieldIsNamed) {
  for (const char* field : {"format", "version", "session_id", "created_at", "codec", "compression",
                            "chunk_size", "chunk_count", "total_bytes", "algorithms", "merkle_root", "chunks",
                            "participants", "recorder", "device_fingerprint", "signatures"}) {
    json d = doc_;
    d.erase(field);
    SCOPED_TRACE(field);
    expect_error(d, field, "missing");
  }
  json d = doc_;
  d["chunks"][1].erase("leaf_hash");
  expect_error(d, "chunks[1].leaf_hash", "missing");
  d = doc_;
  d["compression"].erase("level");
  expect_error(d, "compression.level", "missing");
  d = doc_;
  d["recorder"].erase("version");
  expect_error(d, "recorder.version", "missing");
  d = doc_;
  d["signatures"][0].erase("signature");
  expect_error(d, "signatures[0].signature", "missing");
}

TEST_F(ManifestParse, UnknownFieldIsNamed) {
  json d = doc_;
  d["extra"] = 1;
  expect_error(d, "extra", "unknown field");
  d = doc_;
  d["chunks"][2]["note"] = "x";
  expect_error(d, "chunks[2].note", "unknown field");
  d = doc_;
  d["participants"][0]["name"] = "x";
  expect_error(d, "participants[0].name", "unknown field");
  d = doc_;
  d["compression"]["window"] = 27;
  expect_error(d, "compression.window", "unknown field");
}

TEST_F(ManifestParse, WrongTypeIsNamed) {
  json d = doc_;
  d["chunk_size"] = std::to_string(kMinChunkSize);
  expect_error(d, "chunk_size", "expected a non-negative integer");
  d = doc_;
  d["total_bytes"] = -1;
  expect_error(d, "total_bytes", "expected a non-negative integer");
  d = doc_;
  d["chunk_count"] = 3.5;
  expect_error(d, "chunk_count", "expected a non-negative integer");
  d = doc_;
  d["created_at"] = 12;
  expect_error(d, "created_at", "expected a string");
  d = doc_;
  d["chunks"] = json::object();
  expect_error(d, "chunks", "expected an array");
  d = doc_;
  d["chunks"][0]["plain_bytes"] = "8388608";
  expect_error(d, "chunks[0].plain_bytes", "expected a non-negative integer");
  d = doc_;
  d["recorder"] = "lucid";
  expect_error(d, "recorder", "expected an object");
  d = doc_;
  d["chunks"][1] = 5;
  expect_error(d, "chunks[1]", "expected an object");
}

TEST_F(ManifestParse, BadHexIsNamed) {
  json d = doc_;
  d["merkle_root"] = std::string(64, 'z');
  expect_error(d, "merkle_root");
  d = doc_;
  d["merkle_root"] = std::string(62, 'a');
  expect_error(d, "merkle_root");
  d = doc_;
  d["chunks"][1]["leaf_hash"] = std::string(63, 'b') + "g";
  expect_error(d, "chunks[1].leaf_hash");
  d = doc_;
  d["participants"][0]["public_key"] = "00";
  expect_error(d, "participants[0].public_key");
  d = doc_;
  d["signatures"][0]["signature"] = std::string(126, 'c');
  expect_error(d, "signatures[0].signature");
}

TEST_F(ManifestParse, BadUuidIsNamed) {
  for (std::string bad : {"not-a-uuid", "", "01234567-89ab-cdef-0123-456789abcdef0",
                          "0123456789ab-cdef-0123-456789abcdef", "0123456789abcdef0123456789abcdef0123",
                          "01234567-89AB-CDEF-0123-456789ABCDEF", "0123456g-89ab-cdef-0123-456789abcdef"}) {
    json d = doc_;
    d["session_id"] = bad;
    SCOPED_TRACE(bad);
    expect_error(d, "session_id", "UUID");
  }
}

TEST_F(ManifestParse, WrongVersionFormatOrAlgorithmsAreNamed) {
  json d = doc_;
  d["version"] = 2;
  expect_error(d, "version", "unsupported version 2");
  d = doc_;
  d["version"] = 0;
  expect_error(d, "version");
  d = doc_;
  d["format"] = "lucid.session-manifest-v2";
  expect_error(d, "format");
  d = doc_;
  d["algorithms"]["aead"] = "AES-256-GCM";
  expect_error(d, "algorithms");
  d = doc_;
  d["compression"]["algorithm"] = "gzip";
  expect_error(d, "compression.algorithm");
  d = doc_;
  d["compression"]["level"] = 23;
  expect_error(d, "compression.level");
}

TEST_F(ManifestParse, ChunksOutOfOrderAreNamed) {
  json d = doc_;
  std::swap(d["chunks"][0], d["chunks"][1]);
  expect_error(d, "chunks[0].index", "expected 0");
}

TEST_F(ManifestParse, NotJsonOrNotAnObjectIsAnError) {
  for (std::string text :
       {"", "{", "not json", "[]", "\"manifest\"", "{\"format\":\"lucid.session-manifest\""}) {
    auto r = parse_manifest(text);
    EXPECT_FALSE(r.has_value()) << text;
  }
  auto r = parse_manifest(doc_.dump().substr(0, 100));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("JSON"), std::string::npos) << r.error().message;
}

// ---- check_manifest ----

class ManifestCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = make_manifest(node_, 3);
    ASSERT_TRUE(check_manifest(m_, node_.public_key()).empty())
        << joined(check_manifest(m_, node_.public_key()));
  }
  // Problems after re-signing, so that only the targeted inconsistency remains.
  std::vector<Problem> resigned_problems(Manifest m) {
    EXPECT_TRUE(m.sign(node_).has_value());
    return check_manifest(m, node_.public_key());
  }
  crypto::Ed25519KeyPair node_ = crypto::Ed25519KeyPair::generate();
  Manifest m_;
};

TEST_F(ManifestCheck, ChunkCountMismatch) {
  Manifest m = m_;
  m.chunk_count = 4;
  auto p = resigned_problems(m);
  EXPECT_EQ(subjects(p), std::vector<std::string>{"field chunk_count"}) << joined(p);
  m.chunk_count = 0;
  p = resigned_problems(m);
  EXPECT_TRUE(has_subject(p, "field chunk_count")) << joined(p);
}

TEST_F(ManifestCheck, TotalBytesMismatch) {
  Manifest m = m_;
  m.total_bytes += 1;
  auto p = resigned_problems(m);
  EXPECT_EQ(subjects(p), std::vector<std::string>{"field total_bytes"}) << joined(p);
}

TEST_F(ManifestCheck, MerkleRootChanged) {
  Manifest m = m_;
  m.merkle_root[0] ^= 1;
  auto p = resigned_problems(m);
  EXPECT_EQ(subjects(p), std::vector<std::string>{"field merkle_root"}) << joined(p);
}

TEST_F(ManifestCheck, LeafHashChangedWithoutRootIsCaughtByTheRoot) {
  Manifest m = m_;
  m.chunks[1].leaf_hash[5] ^= 1;
  auto p = resigned_problems(m);
  EXPECT_EQ(subjects(p), std::vector<std::string>{"field merkle_root"}) << joined(p);
}

TEST_F(ManifestCheck, NonLastChunkShorterThanChunkSize) {
  Manifest m = m_;
  m.chunks[1].plain_bytes -= 1;
  m.total_bytes -= 1;
  auto p = resigned_problems(m);
  ASSERT_EQ(subjects(p), std::vector<std::string>{"chunk 1"}) << joined(p);
  EXPECT_EQ(p[0].chunk_index, 1u);
  EXPECT_NE(p[0].message.find("only the last chunk may be shorter"), std::string::npos) << p[0].message;
}

TEST_F(ManifestCheck, LastChunkLongerThanChunkSize) {
  Manifest m = m_;
  m.chunks[2].plain_bytes = m.chunk_size + 1;
  m.total_bytes = 3 * m.chunk_size + 1;
  auto p = resigned_problems(m);
  ASSERT_EQ(subjects(p), std::vector<std::string>{"chunk 2"}) << joined(p);
  EXPECT_EQ(p[0].chunk_index, 2u);
}

TEST_F(ManifestCheck, ChunkSizeOutOfBounds) {
  for (std::uint64_t size : {std::uint64_t{0}, kMinChunkSize - 1, kMaxChunkSize + 1, 4 * kMiB, 17 * kMiB}) {
    Manifest m = make_manifest(node_, 1);  // one (last) chunk: only the chunk_size bound is wrong
    m.chunk_size = size;
    m.chunks[0].plain_bytes = std::min<std::uint64_t>(size, 1234);
    m.total_bytes = m.chunks[0].plain_bytes;
    auto p = resigned_problems(m);
    EXPECT_EQ(subjects(p), std::vector<std::string>{"field chunk_size"}) << size << "\n" << joined(p);
  }
  for (std::uint64_t size : {kMinChunkSize, 12 * kMiB, kMaxChunkSize}) {
    Manifest m = make_manifest(node_, 1);
    m.chunk_size = size;
    EXPECT_TRUE(resigned_problems(m).empty()) << size;
  }
}

TEST_F(ManifestCheck, FieldChangedAfterSigningIsASignatureProblem) {
  Manifest m = m_;
  m.created_at = "2020-01-01T00:00:00Z";
  auto p = check_manifest(m, node_.public_key());
  EXPECT_EQ(subjects(p), std::vector<std::string>{"signature"}) << joined(p);
  m = m_;
  m.codec = "video/mp4";
  EXPECT_EQ(subjects(check_manifest(m, std::nullopt)), std::vector<std::string>{"signature"});
  m = m_;
  m.device_fingerprint = std::string(64, 'b');
  EXPECT_EQ(subjects(check_manifest(m, std::nullopt)), std::vector<std::string>{"signature"});
}

TEST_F(ManifestCheck, CorruptOrMissingSignature) {
  Manifest m = m_;
  m.signatures[0].signature[0] ^= 1;
  EXPECT_EQ(subjects(check_manifest(m, node_.public_key())), std::vector<std::string>{"signature"});
  m = m_;
  m.signatures.clear();
  auto p = check_manifest(m, node_.public_key());
  ASSERT_EQ(subjects(p), std::vector<std::string>{"signature"}) << joined(p);
  EXPECT_NE(p[0].message.find("no signature"), std::string::npos);
  // A valid signature by some other key does not count as the node's.
  m = m_;
  m.signatures.clear();
  ASSERT_TRUE(m.sign(crypto::Ed25519KeyPair::generate()).has_value());
  EXPECT_EQ(subjects(check_manifest(m, node_.public_key())), std::vector<std::string>{"signature"});
}

TEST_F(ManifestCheck, MissingNodeParticipant) {
  Manifest m = m_;
  m.participants[0].role = "participant";
  auto p = resigned_problems(m);
  EXPECT_TRUE(has_subject(p, "field participants")) << joined(p);
  m = m_;
  m.participants.push_back({"node", crypto::Ed25519KeyPair::generate().public_key()});
  p = resigned_problems(m);
  EXPECT_TRUE(has_subject(p, "field participants")) << joined(p);
}

TEST_F(ManifestCheck, WrongExpectedNodeKey) {
  auto other = crypto::Ed25519KeyPair::generate();
  auto p = check_manifest(m_, other.public_key());
  ASSERT_TRUE(has_subject(p, "field participants")) << joined(p);
  EXPECT_NE(joined(p).find("not the expected node key"), std::string::npos) << joined(p);
  // Without an expectation the same manifest is fine.
  EXPECT_TRUE(check_manifest(m_, std::nullopt).empty());
  // A manifest wholly re-made and signed by another key is refused when the node key is pinned.
  Manifest forged = m_;
  forged.participants[0].public_key = other.public_key();
  forged.signatures.clear();
  ASSERT_TRUE(forged.sign(other).has_value());
  EXPECT_TRUE(check_manifest(forged, std::nullopt).empty());
  EXPECT_TRUE(has_subject(check_manifest(forged, node_.public_key()), "field participants"));
}

}  // namespace
}  // namespace lucid::seal
