#include "lucid/seal/format.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "lucid/crypto/hkdf.h"

namespace lucid::seal {
namespace {
void put_u64be(std::uint8_t* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
}
}  // namespace

ChunkKey derive_chunk_key(const SessionKey& session_key, const SessionId& session_id, std::uint64_t index) {
  std::array<std::uint8_t, kChunkKeyInfoLabel.size() + 8> info{};
  std::copy(kChunkKeyInfoLabel.begin(), kChunkKeyInfoLabel.end(), info.begin());
  put_u64be(info.data() + kChunkKeyInfoLabel.size(), index);
  ChunkKey key;
  // Cannot fail: 32 bytes is far below HKDF's output limit.
  if (!crypto::hkdf_sha256(session_key.span(), session_id, info, key.span())) std::abort();
  return key;
}

ChunkNonce chunk_nonce(const SessionId& session_id, std::uint64_t index) {
  ChunkNonce nonce{};
  std::copy(session_id.begin(), session_id.end(), nonce.begin());
  put_u64be(nonce.data() + session_id.size(), index);
  return nonce;
}

AssociatedData chunk_associated_data(const SessionId& session_id, std::uint64_t index, bool last) {
  AssociatedData ad{};
  auto* p = std::copy(kAssociatedDataLabel.begin(), kAssociatedDataLabel.end(), ad.begin());
  p = std::copy(session_id.begin(), session_id.end(), p);
  put_u64be(p, index);
  p[8] = last ? 1 : 0;
  return ad;
}

std::filesystem::path chunk_relative_path(std::uint64_t index) {
  return std::filesystem::path(kChunksDirName) / fmt::format("{:08d}.sealed", index);
}

}  // namespace lucid::seal
