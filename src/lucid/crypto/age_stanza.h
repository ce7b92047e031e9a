// Wrapping the age file key into recipient stanzas and unwrapping it: the native "X25519" type
// (ephemeral X25519 + HKDF + ChaCha20-Poly1305) and the passphrase "scrypt" type.
#pragma once

#include <optional>

#include "lucid/base/result.h"
#include "lucid/crypto/age_common.h"
#include "lucid/crypto/age_header.h"
#include "lucid/crypto/age_keys.h"

namespace lucid::crypto {

inline constexpr int kAgeDefaultScryptLogN = 18;  // what age itself uses when encrypting

// A fresh ephemeral key per call. kInvalidArgument when the recipient is a low-order point.
Result<AgeStanza> age_x25519_wrap(const X25519Recipient& recipient, const AgeFileKey& file_key);
// A fresh 16-byte salt per call; log_n within 1..30.
Result<AgeStanza> age_scrypt_wrap(const ScryptIdentity& passphrase, int log_n, const AgeFileKey& file_key);

// Unwrap results: a file key; nullopt when the stanza is not for this identity (another type, or
// its tag does not verify under our key); or an "age: header failure" when the stanza has our
// type but is malformed (argument count, non-canonical or wrong-size share/salt, body not 32
// bytes, bad work factor) or gives an all-zero X25519 shared secret. The spec requires aborting then.
Result<std::optional<AgeFileKey>> age_x25519_unwrap(const X25519Identity& identity, const AgeStanza& stanza);
Result<std::optional<AgeFileKey>> age_scrypt_unwrap(const ScryptIdentity& identity, const AgeStanza& stanza);

}  // namespace lucid::crypto
