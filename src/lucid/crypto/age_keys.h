// age keys: X25519 recipients ("age1…") and identities ("AGE-SECRET-KEY-1…") in Bech32, identity
// files (one key a line, '#' comments, blank lines), and passphrase (scrypt) identities.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/secret_bytes.h"
#include "lucid/crypto/x25519.h"

namespace lucid::crypto {

class X25519Recipient {
 public:
  explicit X25519Recipient(const X25519PublicKey& public_key) : public_key_(public_key) {}
  // Lower-case Bech32 with HRP "age" and a 32-byte key; kInvalidArgument otherwise.
  static Result<X25519Recipient> parse(std::string_view text);

  std::string to_string() const;  // "age1…"
  const X25519PublicKey& public_key() const { return public_key_; }
  bool operator==(const X25519Recipient&) const = default;

 private:
  X25519PublicKey public_key_;
};

class X25519Identity {
 public:
  explicit X25519Identity(const X25519SecretKey& secret_key);
  static X25519Identity generate();
  // Upper-case Bech32 with HRP "AGE-SECRET-KEY-" and a 32-byte key. Messages never quote `text`.
  static Result<X25519Identity> parse(std::string_view text);

  // "AGE-SECRET-KEY-1…": secret; wipe the string (secure_zero) when done with it.
  std::string to_string() const;
  X25519Recipient recipient() const { return X25519Recipient(public_key_); }
  const X25519SecretKey& secret_key() const { return secret_key_; }

 private:
  X25519SecretKey secret_key_;
  X25519PublicKey public_key_{};
};

// An age identity file as age-keygen writes it: one AGE-SECRET-KEY-1… per line, lines starting
// with '#' and blank lines ignored, LF or CRLF endings. Fails (naming the line number, never its
// content) on any other line, and when no identity is found.
Result<std::vector<X25519Identity>> parse_age_identity_file(std::string_view text);

// A passphrase for "scrypt" stanzas. Work factors (log2 N) above `max_log_n` are refused as a
// header failure rather than computed (age's default limit is 22: 4 GiB of scrypt memory).
class ScryptIdentity {
 public:
  explicit ScryptIdentity(std::string_view passphrase, int max_log_n = 22);
  std::span<const std::uint8_t> passphrase() const { return passphrase_; }
  int max_log_n() const { return max_log_n_; }

 private:
  SecretBytes passphrase_;
  int max_log_n_;
};

}  // namespace lucid::crypto
