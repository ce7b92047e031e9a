// Native age (age-encryption.org/v1, c2sp.org/age) file encryption and decryption in memory:
// X25519 and passphrase (scrypt) recipients, binary or ASCII-armored output, armor auto-detected.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/secret_bytes.h"
#include "lucid/crypto/age_armor.h"
#include "lucid/crypto/age_common.h"
#include "lucid/crypto/age_header.h"
#include "lucid/crypto/age_keys.h"
#include "lucid/crypto/age_stanza.h"
#include "lucid/crypto/age_stream.h"

namespace lucid::crypto {

using AgeIdentity = std::variant<X25519Identity, ScryptIdentity>;

// A fresh file key, one X25519 stanza per recipient, header MAC, fresh payload nonce. `armor`
// wraps the result in "-----BEGIN AGE ENCRYPTED FILE-----". kInvalidArgument when `recipients`
// is empty or a recipient is a low-order point.
Result<std::vector<std::uint8_t>> age_encrypt(std::span<const std::uint8_t> plaintext,
                                              std::span<const X25519Recipient> recipients,
                                              bool armor = false);

// Passphrase encryption: a single scrypt stanza with work factor 2^log_n.
Result<std::vector<std::uint8_t>> age_encrypt_with_passphrase(std::span<const std::uint8_t> plaintext,
                                                              std::string_view passphrase,
                                                              int log_n = kAgeDefaultScryptLogN,
                                                              bool armor = false);

// The result of reading and authenticating a binary age header.
struct AgeOpenedHeader {
  AgeFileKey file_key;
  std::size_t payload_offset = 0;  // where the payload (nonce ‖ chunks) starts in the binary file
};

// Parses the header of a binary (not armored) age file, unwraps the file key with the first
// identity that opens a stanza, and verifies the header MAC. Errors, in order of the checks:
// header failure (parse; an scrypt stanza beside others; a malformed stanza of a type we hold an
// identity for), no match, HMAC failure.
Result<AgeOpenedHeader> age_open_header(std::span<const std::uint8_t> binary,
                                        std::span<const AgeIdentity> identities);

// Decrypts a whole age file, binary or armored (age_is_armored decides). All or nothing: on any
// error no plaintext is returned. age_failure_of(error) gives the failure class.
Result<SecretBytes> age_decrypt(std::span<const std::uint8_t> file, std::span<const AgeIdentity> identities);
Result<SecretBytes> age_decrypt(std::span<const std::uint8_t> file,
                                std::span<const X25519Identity> identities);

}  // namespace lucid::crypto
