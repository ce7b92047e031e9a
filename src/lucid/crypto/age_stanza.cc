#include "lucid/crypto/age_stanza.h"

#include <sodium.h>

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "lucid/base/base64.h"
#include "lucid/base/random.h"
#include "lucid/crypto/hkdf.h"
#include "lucid/crypto/sodium.h"

namespace lucid::crypto {
namespace {

constexpr Base64Options kRawBase64{.padded = false, .canonical = true};
constexpr std::string_view kX25519Label = "age-encryption.org/v1/X25519";
constexpr std::string_view kScryptLabel = "age-encryption.org/v1/scrypt";
constexpr std::size_t kWrappedKeyBytes = kAgeFileKeyBytes + crypto_aead_chacha20poly1305_ietf_ABYTES;
constexpr std::size_t kScryptSaltBytes = 16;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// ChaCha20-Poly1305 with the all-zero nonce: the key is used once.
std::vector<std::uint8_t> seal_file_key(const SecretArray<32>& wrap_key, const AgeFileKey& file_key) {
  sodium_ready();
  std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES> nonce{};
  std::vector<std::uint8_t> body(kWrappedKeyBytes);
  unsigned long long len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(body.data(), &len, file_key.data(), file_key.size(), nullptr, 0,
                                            nullptr, nonce.data(), wrap_key.data());
  return body;
}

std::optional<AgeFileKey> open_file_key(const SecretArray<32>& wrap_key, std::span<const std::uint8_t> body) {
  std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES> nonce{};
  AgeFileKey file_key;
  unsigned long long len = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key.data(), &len, nullptr, body.data(), body.size(),
                                                nullptr, 0, nonce.data(), wrap_key.data()) != 0)
    return std::nullopt;
  return file_key;
}

SecretArray<32> x25519_wrap_key(const X25519SharedSecret& shared, const X25519PublicKey& share,
                                const X25519PublicKey& recipient) {
  std::array<std::uint8_t, 64> salt{};
  std::copy(share.begin(), share.end(), salt.begin());
  std::copy(recipient.begin(), recipient.end(), salt.begin() + 32);
  SecretArray<32> key;
  (void)hkdf_sha256(shared.span(), salt, bytes_of(kX25519Label), key.span());  // 32 bytes: cannot fail
  return key;
}

Result<SecretArray<32>> scrypt_wrap_key(const ScryptIdentity& identity, std::span<const std::uint8_t> salt,
                                        int log_n) {
  sodium_ready();
  std::vector<std::uint8_t> full_salt(kScryptLabel.begin(), kScryptLabel.end());
  full_salt.insert(full_salt.end(), salt.begin(), salt.end());
  SecretArray<32> key;
  auto pass = identity.passphrase();
  if (crypto_pwhash_scryptsalsa208sha256_ll(pass.data(), pass.size(), full_salt.data(), full_salt.size(),
                                            std::uint64_t{1} << log_n, 8, 1, key.data(), key.size()) != 0)
    return fail(ErrorKind::kInternal,
                fmt::format("scrypt with work factor 2^{} failed (out of memory?)", log_n));
  return key;
}

// "^[1-9][0-9]*$" and at most two digits (the limit is far below 100 anyway).
std::optional<int> parse_work_factor(std::string_view s) {
  if (s.empty() || s.size() > 2 || s[0] < '1' || s[0] > '9') return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

Result<AgeStanza> age_x25519_wrap(const X25519Recipient& recipient, const AgeFileKey& file_key) {
  X25519SecretKey ephemeral = x25519_generate();
  X25519PublicKey share = x25519_public_key(ephemeral);
  auto shared = x25519_shared_secret(ephemeral, recipient.public_key());
  if (!shared) {
    return fail(ErrorKind::kInvalidArgument, fmt::format("age recipient {} is not usable: {}",
                                                         recipient.to_string(), shared.error().message));
  }
  SecretArray<32> wrap_key = x25519_wrap_key(*shared, share, recipient.public_key());
  AgeStanza stanza;
  stanza.args = {"X25519", base64_encode(share, kRawBase64)};
  stanza.body = seal_file_key(wrap_key, file_key);
  return stanza;
}

Result<std::optional<AgeFileKey>> age_x25519_unwrap(const X25519Identity& identity, const AgeStanza& stanza) {
  if (stanza.args.empty() || stanza.args[0] != "X25519") return std::optional<AgeFileKey>();
  if (stanza.args.size() != 2)
    return age_fail(AgeFailure::kHeader, fmt::format("X25519 stanza has {} arguments after its type, not 1",
                                                     stanza.args.size() - 1));
  auto share_bytes = base64_decode(stanza.args[1], kRawBase64);
  if (!share_bytes)
    return age_fail(AgeFailure::kHeader, "X25519 stanza share: " + share_bytes.error().message);
  if (share_bytes->size() != kX25519KeyBytes)
    return age_fail(AgeFailure::kHeader,
                    fmt::format("X25519 stanza share is {} bytes, not 32", share_bytes->size()));
  if (stanza.body.size() != kWrappedKeyBytes)
    return age_fail(AgeFailure::kHeader,
                    fmt::format("X25519 stanza body is {} bytes, not 32 (a 16-byte file key and its tag)",
                                stanza.body.size()));
  X25519PublicKey share{};
  std::copy(share_bytes->begin(), share_bytes->end(), share.begin());
  auto shared = x25519_shared_secret(identity.secret_key(), share);
  if (!shared)
    return age_fail(AgeFailure::kHeader, "X25519 stanza share is a low-order point (all-zero shared secret)");
  SecretArray<32> wrap_key = x25519_wrap_key(*shared, share, identity.recipient().public_key());
  return open_file_key(wrap_key, stanza.body);
}

Result<AgeStanza> age_scrypt_wrap(const ScryptIdentity& passphrase, int log_n, const AgeFileKey& file_key) {
  if (log_n < 1 || log_n > 30)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("scrypt work factor 2^{} is outside 2^1..2^30", log_n));
  std::array<std::uint8_t, kScryptSaltBytes> salt{};
  random_bytes(salt);
  auto wrap_key = scrypt_wrap_key(passphrase, salt, log_n);
  if (!wrap_key) return std::unexpected(wrap_key.error());
  AgeStanza stanza;
  stanza.args = {"scrypt", base64_encode(salt, kRawBase64), std::to_string(log_n)};
  stanza.body = seal_file_key(*wrap_key, file_key);
  return stanza;
}

Result<std::optional<AgeFileKey>> age_scrypt_unwrap(const ScryptIdentity& identity, const AgeStanza& stanza) {
  if (stanza.args.empty() || stanza.args[0] != "scrypt") return std::optional<AgeFileKey>();
  if (stanza.args.size() != 3)
    return age_fail(AgeFailure::kHeader, fmt::format("scrypt stanza has {} arguments after its type, not 2",
                                                     stanza.args.size() - 1));
  auto salt = base64_decode(stanza.args[1], kRawBase64);
  if (!salt) return age_fail(AgeFailure::kHeader, "scrypt stanza salt: " + salt.error().message);
  if (salt->size() != kScryptSaltBytes)
    return age_fail(AgeFailure::kHeader, fmt::format("scrypt stanza salt is {} bytes, not 16", salt->size()));
  auto log_n = parse_work_factor(stanza.args[2]);
  if (!log_n) {
    return age_fail(AgeFailure::kHeader, fmt::format("scrypt work factor {} is not a decimal number without "
                                                     "sign or leading zero",
                                                     age_quote(stanza.args[2], 20)));
  }
  if (*log_n > identity.max_log_n())
    return age_fail(AgeFailure::kHeader, fmt::format("scrypt work factor 2^{} is above the limit of 2^{}",
                                                     *log_n, identity.max_log_n()));
  if (stanza.body.size() != kWrappedKeyBytes)
    return age_fail(AgeFailure::kHeader,
                    fmt::format("scrypt stanza body is {} bytes, not 32 (a 16-byte file key and its tag)",
                                stanza.body.size()));
  auto wrap_key = scrypt_wrap_key(identity, *salt, *log_n);
  if (!wrap_key) return std::unexpected(wrap_key.error());
  return open_file_key(*wrap_key, stanza.body);
}

}  // namespace lucid::crypto
