// The age payload: a 16-byte nonce, then STREAM: 64 KiB chunks sealed with ChaCha20-Poly1305 under
// HKDF(file key, salt = nonce, "payload"), nonce = 11-byte big-endian counter ‖ last-chunk flag.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/secret_bytes.h"
#include "lucid/crypto/age_common.h"

namespace lucid::crypto {

inline constexpr std::size_t kAgePayloadNonceBytes = 16;
inline constexpr std::size_t kAgeChunkBytes = 64 * 1024;
inline constexpr std::size_t kAgeChunkTagBytes = 16;

using AgePayloadNonce = std::array<std::uint8_t, kAgePayloadNonceBytes>;

// nonce ‖ chunks. Only the last chunk carries the final flag; it is empty only when the whole
// plaintext is, and a plaintext of a whole number of chunks ends with a full final chunk.
std::vector<std::uint8_t> age_payload_encrypt(const AgeFileKey& file_key, const AgePayloadNonce& nonce,
                                              std::span<const std::uint8_t> plaintext);

// Chunk-at-a-time decryption that releases plaintext exactly as far as it authenticates, like
// age's own reader (a full-size chunk is tried as non-final, then as final).
class AgePayloadReader {
 public:
  // `payload` (nonce ‖ chunks) must outlive the reader. A payload shorter than its nonce is an
  // "age: header failure", as the spec's test vectors classify it.
  static Result<AgePayloadReader> open(const AgeFileKey& file_key, std::span<const std::uint8_t> payload);

  // true: `out` holds the next authenticated chunk (possibly empty for an empty file). false: the
  // final chunk was returned earlier and nothing follows it. An "age: payload failure" error for
  // truncation, a bad tag, an empty final chunk after others, or data after the final chunk.
  // After an error or false, every further call fails.
  Result<bool> next(SecretBytes& out);

  std::uint64_t chunks_read() const { return counter_; }

 private:
  AgePayloadReader() = default;
  SecretArray<32> key_;
  std::span<const std::uint8_t> chunks_;
  std::size_t pos_ = 0;
  std::uint64_t counter_ = 0;
  bool final_seen_ = false;
  bool finished_ = false;
};

// All or nothing: the whole plaintext, or an error and no plaintext.
Result<SecretBytes> age_payload_decrypt(const AgeFileKey& file_key, std::span<const std::uint8_t> payload);

}  // namespace lucid::crypto
