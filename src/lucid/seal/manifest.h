// Manifest v1: the signed description of one sealed session (docs/formats.md). Canonical JSON
// (RFC 8785); manifest_hash = BLAKE3 of the canonical bytes without "signatures"; each signature
// is Ed25519 over those same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/crypto/blake3.h"
#include "lucid/crypto/ed25519.h"

namespace lucid::seal {

inline constexpr std::string_view kManifestFormat = "lucid.session-manifest";
inline constexpr int kManifestVersion = 1;

struct ManifestChunk {
  std::uint64_t index = 0;
  std::uint64_t sealed_bytes = 0;  // ciphertext ‖ tag, the Merkle leaf's length
  std::uint64_t plain_bytes = 0;   // the chunk's plaintext before compression
  crypto::Digest leaf_hash{};      // BLAKE3(0x00 ‖ sealed bytes)
};

struct Participant {
  std::string role;  // "node" for the sealing node; "participant" for others
  crypto::Ed25519PublicKey public_key{};
};

struct ManifestSignature {
  crypto::Ed25519PublicKey public_key{};
  crypto::Ed25519Signature signature{};
};

struct Manifest {
  std::string session_id;  // UUIDv4, canonical form
  std::string created_at;  // RFC 3339 UTC
  std::string codec;       // the recording's media type, e.g. "video/mp2t"
  std::string compression = "zstd";
  int compression_level = 3;
  std::uint64_t chunk_size = 0;
  std::uint64_t chunk_count = 0;
  std::uint64_t total_bytes = 0;
  crypto::Digest merkle_root{};
  std::vector<ManifestChunk> chunks;
  std::vector<Participant> participants;
  std::string recorder_software;
  std::string recorder_version;
  std::string device_fingerprint;
  std::vector<ManifestSignature> signatures;

  // The document without "signatures": what is hashed and signed.
  nlohmann::json unsigned_json() const;
  nlohmann::json to_json() const;
  Result<std::string> canonical_unsigned_bytes() const;
  Result<crypto::Digest> hash() const;

  // Replaces any signature by `key` with a fresh one.
  Status sign(const crypto::Ed25519KeyPair& key);
  // The node participant's public key, if exactly one is listed.
  std::optional<crypto::Ed25519PublicKey> node_public_key() const;
};

// Parses a manifest strictly: unknown or missing fields, wrong types and malformed values are
// errors naming the field ("chunks[3].leaf_hash: expected 64 hex characters").
Result<Manifest> parse_manifest(const std::string& text);

// Serialised form written to manifest.json: canonical JSON including the signatures, plus "\n".
Result<std::string> serialize_manifest(const Manifest& manifest);

// Fixed algorithm identifiers recorded in every v1 manifest.
nlohmann::json manifest_algorithms();

}  // namespace lucid::seal
