#include "lucid/crypto/age_keys.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/bech32.h"
#include "lucid/base/text.h"
#include "lucid/crypto/age_common.h"

namespace lucid::crypto {
namespace {

constexpr std::string_view kRecipientHrp = "age";
constexpr std::string_view kIdentityHrp = "AGE-SECRET-KEY-";

}  // namespace

Result<X25519Recipient> X25519Recipient::parse(std::string_view text) {
  auto decoded = bech32_decode(text);
  if (!decoded) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("not an age recipient {}: {}", age_quote(text, 100), decoded.error().message));
  }
  if (decoded->hrp != kRecipientHrp) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("not an age X25519 recipient {}: expected \"age1…\" in lower case",
                            age_quote(text, 100)));
  }
  if (decoded->data.size() != kX25519KeyBytes) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("age recipient {} holds {} bytes, not a 32-byte X25519 key", age_quote(text, 100),
                            decoded->data.size()));
  }
  X25519PublicKey key{};
  std::copy(decoded->data.begin(), decoded->data.end(), key.begin());
  return X25519Recipient(key);
}

std::string X25519Recipient::to_string() const {
  return bech32_encode(kRecipientHrp, public_key_).value();  // a fixed valid HRP cannot fail
}

X25519Identity::X25519Identity(const X25519SecretKey& secret_key)
    : secret_key_(secret_key), public_key_(x25519_public_key(secret_key)) {}

X25519Identity X25519Identity::generate() {
  return X25519Identity(x25519_generate());
}

Result<X25519Identity> X25519Identity::parse(std::string_view text) {
  // Never quote `text`: it is a secret key, possibly a slightly mistyped one.
  if (text.starts_with("AGE-SECRET-KEY-PQ-1"))
    return fail(ErrorKind::kInvalidArgument,
                "post-quantum (ML-KEM-768 + X25519) age identities are not supported, only X25519");
  if (text.starts_with("AGE-PLUGIN-"))
    return fail(ErrorKind::kInvalidArgument, "age plugin identities are not supported, only X25519");
  auto decoded = bech32_decode(text);
  if (!decoded)
    return fail(ErrorKind::kInvalidArgument, "malformed age secret key: " + decoded.error().message);
  if (decoded->hrp != kIdentityHrp)
    return fail(ErrorKind::kInvalidArgument,
                "not an age X25519 secret key: expected \"AGE-SECRET-KEY-1…\" in upper case");
  if (decoded->data.size() != kX25519KeyBytes)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("age secret key holds {} bytes, not 32", decoded->data.size()));
  X25519SecretKey key;
  std::copy(decoded->data.begin(), decoded->data.end(), key.data());
  return X25519Identity(key);
}

std::string X25519Identity::to_string() const {
  return bech32_encode(kIdentityHrp, secret_key_.span()).value();
}

Result<std::vector<X25519Identity>> parse_age_identity_file(std::string_view text) {
  std::vector<X25519Identity> identities;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t lf = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, lf == std::string_view::npos ? std::string_view::npos : lf - pos);
    pos = lf == std::string_view::npos ? text.size() : lf + 1;
    ++line_no;
    line = trim(line);
    if (line.empty() || line.starts_with('#')) continue;
    auto id = X25519Identity::parse(line);
    if (!id) return std::unexpected(with_context(fmt::format("identity file line {}", line_no), id.error()));
    identities.push_back(std::move(*id));
  }
  if (identities.empty())
    return fail(ErrorKind::kInvalidArgument, "identity file holds no AGE-SECRET-KEY-1… line");
  return identities;
}

ScryptIdentity::ScryptIdentity(std::string_view passphrase, int max_log_n)
    : passphrase_(passphrase.begin(), passphrase.end()), max_log_n_(max_log_n) {}

}  // namespace lucid::crypto
