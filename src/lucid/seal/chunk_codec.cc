#include "lucid/seal/chunk_codec.h"

#include <zstd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "lucid/crypto/aead.h"

namespace lucid::seal {

static_assert(ZSTD_COMPRESSBOUND(kMaxChunkSize) + kAeadTagBytes <= kMaxSealedChunkBytes,
              "kMaxSealedChunkBytes must hold the largest chunk this codec can seal");

ChunkCodec::ChunkCodec(int zstd_level)
    : level_(zstd_level), cctx_(ZSTD_createCCtx()), dctx_(ZSTD_createDCtx()) {
  if (cctx_ == nullptr || dctx_ == nullptr) std::abort();  // out of memory
}

ChunkCodec::~ChunkCodec() {
  ZSTD_freeCCtx(cctx_);
  ZSTD_freeDCtx(dctx_);
  secure_zero(compressed_.data(), compressed_.size());
}

void ChunkCodec::seal(const SessionKey& session_key, const SessionId& session_id, ChunkPosition pos,
                      std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& sealed) {
  compressed_.resize(ZSTD_compressBound(plaintext.size()));
  std::size_t n = ZSTD_compressCCtx(cctx_, compressed_.data(), compressed_.size(), plaintext.data(),
                                    plaintext.size(), level_);
  if (ZSTD_isError(n)) std::abort();  // cannot happen with a compressBound-sized buffer
  ChunkKey key = derive_chunk_key(session_key, session_id, pos.index);
  ChunkNonce nonce = chunk_nonce(session_id, pos.index);
  AssociatedData ad = chunk_associated_data(session_id, pos.index, pos.last);
  crypto::xchacha20poly1305_seal(key.span(), nonce, ad, std::span(compressed_).first(n), sealed);
  secure_zero(compressed_.data(), n);
}

Status ChunkCodec::open(const SessionKey& session_key, const SessionId& session_id, ChunkPosition pos,
                        std::span<const std::uint8_t> sealed, std::uint64_t max_plain_bytes,
                        std::vector<std::uint8_t>& plaintext) {
  ChunkKey key = derive_chunk_key(session_key, session_id, pos.index);
  ChunkNonce nonce = chunk_nonce(session_id, pos.index);
  AssociatedData ad = chunk_associated_data(session_id, pos.index, pos.last);
  if (auto s = crypto::xchacha20poly1305_open(key.span(), nonce, ad, sealed, compressed_); !s) return s;

  // The payload is authentic, so it came from our own sealer; still bound the output so that a
  // leaked session key cannot be turned into a decompression bomb.
  unsigned long long content = ZSTD_getFrameContentSize(compressed_.data(), compressed_.size());
  if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN || content > max_plain_bytes) {
    return fail(ErrorKind::kCorrupt, "compressed payload declares an invalid size");
  }
  plaintext.resize(content);
  std::size_t n =
      ZSTD_decompressDCtx(dctx_, plaintext.data(), plaintext.size(), compressed_.data(), compressed_.size());
  secure_zero(compressed_.data(), compressed_.size());
  if (ZSTD_isError(n) || n != content) {
    plaintext.clear();
    return fail(ErrorKind::kCorrupt, fmt::format("compressed payload does not decompress: {}",
                                                 ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch"));
  }
  return {};
}

}  // namespace lucid::seal
