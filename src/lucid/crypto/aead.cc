#include "lucid/crypto/aead.h"

#include <sodium.h>

#include "lucid/crypto/sodium.h"

#include "lucid/base/secret.h"

namespace lucid::crypto {

void xchacha20poly1305_seal(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                            std::span<const std::uint8_t, kXChaChaNonceBytes> nonce,
                            std::span<const std::uint8_t> associated_data,
                            std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
  sodium_ready();
  out.resize(plaintext.size() + kXChaChaTagBytes);
  unsigned long long out_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(), plaintext.size(),
                                             associated_data.data(), associated_data.size(), nullptr,
                                             nonce.data(), key.data());
}

Status xchacha20poly1305_open(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                              std::span<const std::uint8_t, kXChaChaNonceBytes> nonce,
                              std::span<const std::uint8_t> associated_data,
                              std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out) {
  sodium_ready();
  if (sealed.size() < kXChaChaTagBytes) {
    out.clear();
    return fail(ErrorKind::kAuthentication, "sealed data is shorter than the authentication tag");
  }
  out.resize(sealed.size() - kXChaChaTagBytes);
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, sealed.data(), sealed.size(),
                                                 associated_data.data(), associated_data.size(), nonce.data(),
                                                 key.data()) != 0) {
    secure_zero(out.data(), out.size());
    out.clear();
    return fail(ErrorKind::kAuthentication, "authentication tag does not verify");
  }
  return {};
}

}  // namespace lucid::crypto
