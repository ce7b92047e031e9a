// Writes tests/vectors/sealed-chunk.json and tests/vectors/manifest.json from fixed inputs.
// Run by hand after a deliberate format change: build target gen_seal_vectors, then
//   build/release/bin/gen_seal_vectors tests/vectors
// tests/seal/vectors_test.cc checks the committed files against the library.
#include <cstdio>
#include <string>

#include <zstd.h>

#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/crypto/aead.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/format.h"
#include "lucid/seal/manifest.h"

using namespace lucid;
using nlohmann::json;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gen_seal_vectors OUTDIR\n");
    return 2;
  }
  std::string dir = argv[1];
  seal::SessionKey key;
  from_hex_into("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key.span()).value();
  const std::string session_id = "5f0c1e3a-9b7d-4c2e-8f6a-1d2b3c4d5e6f";
  seal::SessionId sid{};
  from_hex_into("5f0c1e3a9b7d4c2e8f6a1d2b3c4d5e6f", sid).value();
  const std::string text = "Lucid sealed chunk test vector: the quick brown fox jumps over the lazy dog.\n";
  std::vector<std::uint8_t> plain(text.begin(), text.end());

  json chunks = json::array();
  std::vector<seal::ManifestChunk> entries;
  for (std::uint64_t index = 0; index < 2; ++index) {
    bool last = index == 1;
    std::vector<std::uint8_t> payload(ZSTD_compressBound(plain.size()));
    payload.resize(ZSTD_compress(payload.data(), payload.size(), plain.data(), plain.size(), 3));
    auto k = seal::derive_chunk_key(key, sid, index);
    auto nonce = seal::chunk_nonce(sid, index);
    auto ad = seal::chunk_associated_data(sid, index, last);
    std::vector<std::uint8_t> sealed;
    crypto::xchacha20poly1305_seal(k.span(), nonce, ad, payload, sealed);
    auto leaf = crypto::merkle_leaf_hash(sealed);
    chunks.push_back({{"index", index},
                      {"last", last},
                      {"plaintext_hex", to_hex(plain)},
                      {"chunk_key", to_hex(k.span())},
                      {"nonce", to_hex(nonce)},
                      {"associated_data", to_hex(ad)},
                      {"zstd_payload", to_hex(payload)},
                      {"sealed", to_hex(sealed)},
                      {"leaf_hash", to_hex(leaf)}});
    entries.push_back({index, sealed.size(), index == 1 ? plain.size() : plain.size(), leaf});
  }
  json chunk_doc = {
      {"description",
       "Two sealed chunks of one session (docs/formats.md §2). The plaintext is repeated; chunk 1 is the "
       "last. "
       "zstd_payload is what zstd 1.5.4 produced at level 3: other Zstd versions may compress differently, "
       "but every opener must accept these bytes."},
      {"session_key", to_hex(key.span())},
      {"session_id", session_id},
      {"chunks", chunks}};

  // A manifest over those two chunks. chunk_size is the 8 MiB minimum: the vector's chunk 0 is
  // deliberately short, so check_manifest flags it; the vector exercises hashing and signing only.
  seal::Manifest m;
  m.session_id = session_id;
  m.created_at = "2026-11-26T12:00:00Z";
  m.codec = "video/mp2t";
  m.chunk_size = seal::kDefaultChunkSize;
  m.chunk_count = 2;
  m.total_bytes = 2 * plain.size();
  m.chunks = entries;
  std::vector<crypto::Digest> leaves = {entries[0].leaf_hash, entries[1].leaf_hash};
  m.merkle_root = crypto::merkle_root(leaves);
  crypto::Ed25519Seed seed;
  from_hex_into("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed.span()).value();
  auto node = crypto::Ed25519KeyPair::from_seed(seed);
  m.participants.push_back({"node", node.public_key()});
  m.recorder_software = "lucid-node-worker";
  m.recorder_version = "0.1.0";
  m.device_fingerprint = "unknown";
  m.sign(node).value();
  json manifest_doc = {
      {"description",
       "A signed manifest v1 (docs/formats.md §3). unsigned_canonical is the RFC 8785 form without "
       "signatures; manifest_hash = BLAKE3(unsigned_canonical); the signature is Ed25519 (RFC 8032 "
       "TEST 1 seed) over unsigned_canonical."},
      {"node_seed", to_hex(seed.span())},
      {"node_public_key", to_hex(node.public_key())},
      {"manifest_json", serialize_manifest(m).value()},
      {"unsigned_canonical", m.canonical_unsigned_bytes().value()},
      {"manifest_hash", to_hex(m.hash().value())},
      {"signature", to_hex(m.signatures.at(0).signature)}};
  for (const auto& [name, doc] :
       {std::pair{"sealed-chunk.json", chunk_doc}, std::pair{"manifest.json", manifest_doc}}) {
    std::string s = doc.dump(2) + "\n";
    write_file_atomic(dir + "/" + name, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}).value();
  }
  return 0;
}
