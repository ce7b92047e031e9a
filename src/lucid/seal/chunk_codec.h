// One chunk through the data path: Zstd compression then XChaCha20-Poly1305 sealing, and back.
// A ChunkCodec owns reusable Zstd contexts and scratch buffers; use one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/seal/format.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace lucid::seal {

struct ChunkPosition {
  std::uint64_t index = 0;
  bool last = false;
};

class ChunkCodec {
 public:
  explicit ChunkCodec(int zstd_level = kDefaultZstdLevel);
  ~ChunkCodec();
  ChunkCodec(const ChunkCodec&) = delete;
  ChunkCodec& operator=(const ChunkCodec&) = delete;

  // sealed = XChaCha20-Poly1305(key_i, nonce_i, AD_i, zstd(plaintext)).
  void seal(const SessionKey& session_key, const SessionId& session_id, ChunkPosition pos,
            std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& sealed);

  // Authenticates and decrypts `sealed`, then decompresses into `plaintext`, which must come out
  // at most `max_plain_bytes` long. kAuthentication when the tag fails (nothing is written to
  // `plaintext`), kCorrupt when an authenticated payload does not decompress.
  Status open(const SessionKey& session_key, const SessionId& session_id, ChunkPosition pos,
              std::span<const std::uint8_t> sealed, std::uint64_t max_plain_bytes,
              std::vector<std::uint8_t>& plaintext);

 private:
  int level_;
  ZSTD_CCtx_s* cctx_ = nullptr;
  ZSTD_DCtx_s* dctx_ = nullptr;
  std::vector<std::uint8_t> compressed_;  // scratch between the two stages
};

}  // namespace lucid::seal
