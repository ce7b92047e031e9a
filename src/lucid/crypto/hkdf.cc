#include "lucid/crypto/hkdf.h"

#include <sodium.h>

#include "lucid/crypto/sodium.h"

#include <algorithm>
#include <array>

#include "lucid/base/secret.h"

namespace lucid::crypto {

Status hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                   std::span<const std::uint8_t> info, std::span<std::uint8_t> out) {
  sodium_ready();
  constexpr std::size_t kHashLen = crypto_auth_hmacsha256_BYTES;
  if (out.size() > 255 * kHashLen)
    return fail(ErrorKind::kInvalidArgument, "HKDF output longer than 255 blocks");

  // Extract: PRK = HMAC(salt, IKM); an absent salt is HashLen zero bytes (RFC 5869 §2.2).
  SecretArray<kHashLen> prk;
  std::array<std::uint8_t, kHashLen> zero_salt{};
  auto key = salt.empty() ? std::span<const std::uint8_t>(zero_salt) : salt;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, ikm.data(), ikm.size());
  crypto_auth_hmacsha256_final(&st, prk.data());

  // Expand: T(i) = HMAC(PRK, T(i-1) | info | i).
  SecretArray<kHashLen> t;
  std::size_t t_len = 0;
  std::size_t done = 0;
  for (std::uint8_t counter = 1; done < out.size(); ++counter) {
    crypto_auth_hmacsha256_init(&st, prk.data(), prk.size());
    crypto_auth_hmacsha256_update(&st, t.data(), t_len);
    crypto_auth_hmacsha256_update(&st, info.data(), info.size());
    crypto_auth_hmacsha256_update(&st, &counter, 1);
    crypto_auth_hmacsha256_final(&st, t.data());
    t_len = kHashLen;
    std::size_t n = std::min(kHashLen, out.size() - done);
    std::copy_n(t.data(), n, out.data() + done);
    done += n;
  }
  secure_zero(&st, sizeof st);
  return {};
}

}  // namespace lucid::crypto
