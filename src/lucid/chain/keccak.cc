#include "lucid/chain/keccak.h"

#include <crypto++/keccak.h>

namespace lucid::chain {

Keccak256 keccak256(std::span<const std::uint8_t> bytes) {
  CryptoPP::Keccak_256 hash;
  hash.Update(bytes.data(), bytes.size());
  Keccak256 digest{};
  static_assert(CryptoPP::Keccak_256::DIGESTSIZE == digest.size());
  hash.Final(digest.data());
  return digest;
}

Keccak256 keccak256(std::string_view text) {
  return keccak256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace lucid::chain
