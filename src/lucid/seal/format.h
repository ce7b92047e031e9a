// The sealed-chunk format v1 (docs/formats.md): per-chunk keys, nonces, associated data and the
// on-disk layout of a session directory. Every component that seals or opens chunks uses these.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "lucid/base/secret.h"

namespace lucid::seal {

inline constexpr std::uint64_t kMiB = 1024 * 1024;
inline constexpr std::uint64_t kMinChunkSize = 8 * kMiB;
inline constexpr std::uint64_t kMaxChunkSize = 16 * kMiB;
inline constexpr std::uint64_t kDefaultChunkSize = 8 * kMiB;
inline constexpr int kDefaultZstdLevel = 3;

// Bounds a reader checks before it allocates anything for a session, which may come from an
// untrusted peer (docs/formats.md §3 "Bounds"). A writer never produces a session outside them.
inline constexpr std::uint64_t kAeadTagBytes = 16;
// Zstd's worst case for a full chunk (ZSTD_COMPRESSBOUND(n) = n + n/256 for n >= 128 KiB) plus the tag.
inline constexpr std::uint64_t kMaxSealedChunkBytes = kMaxChunkSize + kMaxChunkSize / 256 + kAeadTagBytes;
// At most 2^18 chunks in a session: 2 TiB of recording at 8 MiB chunks, 4 TiB at 16 MiB.
inline constexpr std::uint64_t kMaxChunkCount = std::uint64_t{1} << 18;
inline constexpr std::uint64_t kMaxSessionBytes = kMaxChunkCount * kMaxChunkSize;
// Participants listed, and signatures carried, by one manifest.
inline constexpr std::uint64_t kMaxParticipants = 256;
// Any one string of a manifest (codec, created_at, recorder, device_fingerprint, role).
inline constexpr std::uint64_t kMaxManifestStringBytes = 1024;
// A chunk entry is at most 143 bytes of canonical JSON; 192 per chunk leaves room for whitespace.
inline constexpr std::uint64_t kMaxManifestBytes = kMaxChunkCount * 192 + kMiB;
// Objects and arrays nest three deep in a manifest (top, "chunks", one chunk).
inline constexpr int kMaxManifestDepth = 3;
// JSON values (scalars, objects, arrays) of a manifest: about 5 per chunk and 3 per participant or
// signature; anything above this is not a manifest within the bounds above.
inline constexpr std::uint64_t kMaxManifestJsonValues = 8 * kMaxChunkCount + 8 * kMaxParticipants + 64;

using SessionId = std::array<std::uint8_t, 16>;  // a UUIDv4's 16 bytes
using SessionKey = SecretArray<32>;
using ChunkKey = SecretArray<32>;
using ChunkNonce = std::array<std::uint8_t, 24>;

// HKDF info/salt labels and the associated-data prefix; changing any of them is a new format.
inline constexpr std::string_view kChunkKeyInfoLabel = "lucid/seal/v1/chunk-key";
inline constexpr std::string_view kAssociatedDataLabel = "lucid/seal/v1/chunk";
inline constexpr std::size_t kAssociatedDataSize = kAssociatedDataLabel.size() + 16 + 8 + 1;
using AssociatedData = std::array<std::uint8_t, kAssociatedDataSize>;

// key_i = HKDF-SHA256(ikm = session key, salt = session id, info = label ‖ u64be(i), L = 32).
ChunkKey derive_chunk_key(const SessionKey& session_key, const SessionId& session_id, std::uint64_t index);
// nonce_i = session id ‖ u64be(i): unique per (session, chunk) even if keys were ever reused.
ChunkNonce chunk_nonce(const SessionId& session_id, std::uint64_t index);
// AD = label ‖ session id ‖ u64be(i) ‖ last (0x01 for the final chunk, else 0x00).
AssociatedData chunk_associated_data(const SessionId& session_id, std::uint64_t index, bool last);

// Layout of a session directory.
inline constexpr std::string_view kManifestFileName = "manifest.json";
inline constexpr std::string_view kChunksDirName = "chunks";
// "chunks/00000007.sealed"
std::filesystem::path chunk_relative_path(std::uint64_t index);

}  // namespace lucid::seal
