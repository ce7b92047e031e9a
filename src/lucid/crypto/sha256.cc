#include "lucid/crypto/sha256.h"

#include <openssl/evp.h>

#include "lucid/base/hex.h"

namespace lucid::crypto {

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, 32> md{};
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr);
  return md;
}

std::string sha256_digest(std::span<const std::uint8_t> bytes) {
  const auto md = sha256(bytes);
  return "sha256:" + to_hex(std::span<const std::uint8_t>(md));
}

std::string sha256_digest(std::string_view bytes) {
  return sha256_digest(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace lucid::crypto
