#include "lucid/crypto/aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <climits>
#include <cstdlib>
#include <memory>

#include "lucid/base/secret.h"
#include "lucid/crypto/sodium.h"

namespace lucid::crypto {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// One context per thread, reset per message: creating contexts per chunk costs more than it should.
EVP_CIPHER_CTX* thread_ctx() {
  thread_local Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) std::abort();  // out of memory
  return ctx.get();
}

// OpenSSL takes int lengths; Lucid's messages are at most a chunk (16 MiB + framing).
int checked_len(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) std::abort();
  return static_cast<int>(n);
}

// XChaCha20: subkey = HChaCha20(key, nonce[0..16]); 12-byte nonce = 0x00000000 ‖ nonce[16..24].
struct Extended {
  SecretArray<32> subkey;
  std::array<std::uint8_t, 12> nonce{};
};

Extended extend(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                std::span<const std::uint8_t, kXChaChaNonceBytes> nonce) {
  sodium_ready();
  Extended e;
  crypto_core_hchacha20(e.subkey.data(), nonce.data(), key.data(), nullptr);
  std::copy(nonce.begin() + 16, nonce.end(), e.nonce.begin() + 4);
  return e;
}

}  // namespace

void chacha20poly1305_seal(std::span<const std::uint8_t, kChaChaKeyBytes> key,
                           std::span<const std::uint8_t, kChaChaNonceBytes> nonce,
                           std::span<const std::uint8_t> associated_data,
                           std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
  EVP_CIPHER_CTX* ctx = thread_ctx();
  out.resize(plaintext.size() + kChaChaTagBytes);
  int len = 0;
  bool ok =
      EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()) == 1 &&
      (associated_data.empty() || EVP_EncryptUpdate(ctx, nullptr, &len, associated_data.data(),
                                                    checked_len(associated_data.size())) == 1) &&
      (plaintext.empty() ||
       EVP_EncryptUpdate(ctx, out.data(), &len, plaintext.data(), checked_len(plaintext.size())) == 1) &&
      EVP_EncryptFinal_ex(ctx, out.data() + plaintext.size(), &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kChaChaTagBytes, out.data() + plaintext.size()) == 1;
  if (!ok) std::abort();  // cannot fail with valid sizes; continuing would emit garbage
}

Status chacha20poly1305_open(std::span<const std::uint8_t, kChaChaKeyBytes> key,
                             std::span<const std::uint8_t, kChaChaNonceBytes> nonce,
                             std::span<const std::uint8_t> associated_data,
                             std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out) {
  if (sealed.size() < kChaChaTagBytes) {
    out.clear();
    return fail(ErrorKind::kAuthentication, "sealed data is shorter than the authentication tag");
  }
  EVP_CIPHER_CTX* ctx = thread_ctx();
  const std::size_t n = sealed.size() - kChaChaTagBytes;
  out.resize(n);
  std::array<std::uint8_t, kChaChaTagBytes> tag{};
  std::copy(sealed.begin() + static_cast<std::ptrdiff_t>(n), sealed.end(), tag.begin());
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()) == 1 &&
            (associated_data.empty() || EVP_DecryptUpdate(ctx, nullptr, &len, associated_data.data(),
                                                          checked_len(associated_data.size())) == 1) &&
            (n == 0 || EVP_DecryptUpdate(ctx, out.data(), &len, sealed.data(), checked_len(n)) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kChaChaTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx, out.data() + n, &len) == 1;
  if (!ok) {
    secure_zero(out.data(), out.size());
    out.clear();
    return fail(ErrorKind::kAuthentication, "authentication tag does not verify");
  }
  return {};
}

void xchacha20poly1305_seal(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                            std::span<const std::uint8_t, kXChaChaNonceBytes> nonce,
                            std::span<const std::uint8_t> associated_data,
                            std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
  Extended e = extend(key, nonce);
  chacha20poly1305_seal(e.subkey.span(), e.nonce, associated_data, plaintext, out);
}

Status xchacha20poly1305_open(std::span<const std::uint8_t, kXChaChaKeyBytes> key,
                              std::span<const std::uint8_t, kXChaChaNonceBytes> nonce,
                              std::span<const std::uint8_t> associated_data,
                              std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out) {
  Extended e = extend(key, nonce);
  return chacha20poly1305_open(e.subkey.span(), e.nonce, associated_data, sealed, out);
}

}  // namespace lucid::crypto
