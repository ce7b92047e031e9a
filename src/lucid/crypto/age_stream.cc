#include "lucid/crypto/age_stream.h"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "lucid/crypto/hkdf.h"
#include "lucid/crypto/sodium.h"

namespace lucid::crypto {
namespace {

constexpr std::size_t kSealedChunkBytes = kAgeChunkBytes + kAgeChunkTagBytes;
using ChunkNonce = std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES>;

SecretArray<32> payload_key(const AgeFileKey& file_key, std::span<const std::uint8_t> nonce) {
  static constexpr std::string_view kInfo = "payload";
  SecretArray<32> key;
  (void)hkdf_sha256(file_key.span(), nonce,
                    std::span(reinterpret_cast<const std::uint8_t*>(kInfo.data()), kInfo.size()),
                    key.span());  // 32 bytes: cannot fail
  return key;
}

ChunkNonce chunk_nonce(std::uint64_t counter, bool last) {
  ChunkNonce n{};  // bytes 0..10: big-endian counter (the top three bytes stay zero), byte 11: flag
  for (int i = 0; i < 8; ++i)
    n[10 - static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter >> (8 * i));
  n[11] = last ? 1 : 0;
  return n;
}

}  // namespace

std::vector<std::uint8_t> age_payload_encrypt(const AgeFileKey& file_key, const AgePayloadNonce& nonce,
                                              std::span<const std::uint8_t> plaintext) {
  sodium_ready();
  SecretArray<32> key = payload_key(file_key, nonce);
  std::size_t chunks = plaintext.empty() ? 1 : (plaintext.size() + kAgeChunkBytes - 1) / kAgeChunkBytes;
  std::vector<std::uint8_t> out(nonce.size() + plaintext.size() + chunks * kAgeChunkTagBytes);
  std::copy(nonce.begin(), nonce.end(), out.begin());
  std::size_t in_pos = 0, out_pos = nonce.size();
  for (std::uint64_t i = 0; i < chunks; ++i) {
    std::size_t n = std::min(kAgeChunkBytes, plaintext.size() - in_pos);
    ChunkNonce cn = chunk_nonce(i, i + 1 == chunks);
    unsigned long long len = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data() + out_pos, &len, plaintext.data() + in_pos, n,
                                              nullptr, 0, nullptr, cn.data(), key.data());
    in_pos += n;
    out_pos += len;
  }
  return out;
}

Result<AgePayloadReader> AgePayloadReader::open(const AgeFileKey& file_key,
                                                std::span<const std::uint8_t> payload) {
  sodium_ready();
  if (payload.size() < kAgePayloadNonceBytes)
    return age_fail(AgeFailure::kHeader,
                    fmt::format("the file ends {} bytes into the 16-byte payload nonce", payload.size()));
  AgePayloadReader r;
  r.key_ = payload_key(file_key, payload.first(kAgePayloadNonceBytes));
  r.chunks_ = payload.subspan(kAgePayloadNonceBytes);
  return r;
}

Result<bool> AgePayloadReader::next(SecretBytes& out) {
  out.clear();
  if (finished_) return age_fail(AgeFailure::kPayload, "read past the end of the payload");
  std::size_t remaining = chunks_.size() - pos_;
  if (final_seen_) {
    finished_ = true;
    if (remaining != 0)
      return age_fail(AgeFailure::kPayload,
                      fmt::format("{} bytes of trailing data after the final chunk", remaining));
    return false;
  }
  auto failed = [this](ErrorKind kind, std::string what) {
    finished_ = true;
    return age_fail(AgeFailure::kPayload, kind, std::move(what));
  };
  if (remaining == 0) {
    return failed(ErrorKind::kCorrupt, counter_ == 0
                                           ? "the payload has no chunks (file truncated)"
                                           : fmt::format("the payload ends after chunk {} without a "
                                                         "final chunk (file truncated)",
                                                         counter_));
  }
  // A chunk shorter than the full size must be the final one; a full-size chunk may be either.
  bool short_chunk = remaining < kSealedChunkBytes;
  std::size_t n = short_chunk ? remaining : kSealedChunkBytes;
  if (n < kAgeChunkTagBytes)
    return failed(ErrorKind::kCorrupt, fmt::format("chunk {} is {} bytes, shorter than its 16-byte tag (file "
                                                   "truncated)",
                                                   counter_, n));
  if (short_chunk && n == kAgeChunkTagBytes && counter_ != 0)
    return failed(ErrorKind::kCorrupt,
                  fmt::format("final chunk {} is empty, which only an empty file may have", counter_));
  auto sealed = chunks_.subspan(pos_, n);
  out.resize(n - kAgeChunkTagBytes);
  auto try_open = [&](bool last) {
    ChunkNonce cn = chunk_nonce(counter_, last);
    unsigned long long len = 0;
    return crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &len, nullptr, sealed.data(), sealed.size(),
                                                     nullptr, 0, cn.data(), key_.data()) == 0;
  };
  bool last = short_chunk;
  bool ok = try_open(last);
  if (!ok && !last) ok = try_open(last = true);
  if (!ok) {
    secure_zero(out.data(), out.size());
    out.clear();
    return failed(
        ErrorKind::kAuthentication,
        fmt::format("chunk {} does not authenticate (the file was modified or truncated)", counter_));
  }
  pos_ += n;
  ++counter_;
  final_seen_ = last;
  return true;
}

Result<SecretBytes> age_payload_decrypt(const AgeFileKey& file_key, std::span<const std::uint8_t> payload) {
  auto reader = AgePayloadReader::open(file_key, payload);
  if (!reader) return std::unexpected(reader.error());
  SecretBytes plaintext;
  plaintext.reserve(payload.size());
  SecretBytes chunk;
  chunk.reserve(kAgeChunkBytes);
  while (true) {
    auto more = reader->next(chunk);
    if (!more) return std::unexpected(more.error());  // `plaintext` is wiped as it goes out of scope
    if (!*more) break;
    plaintext.insert(plaintext.end(), chunk.begin(), chunk.end());
  }
  return plaintext;
}

}  // namespace lucid::crypto
