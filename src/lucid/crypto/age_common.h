// Definitions shared by the age (age-encryption.org/v1) modules: the file key, format constants,
// and the failure classes that the C2SP test vectors name, carried in Lucid's Error messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/base/secret.h"

namespace lucid::crypto {

inline constexpr std::size_t kAgeFileKeyBytes = 16;
using AgeFileKey = SecretArray<kAgeFileKeyBytes>;

inline constexpr std::string_view kAgeVersionLine = "age-encryption.org/v1";
inline constexpr std::size_t kAgeColumnsPerLine = 64;  // header stanza bodies and ASCII armor
inline constexpr std::size_t kAgeBytesPerLine = kAgeColumnsPerLine / 4 * 3;

// Where decryption failed, in the order the checks run. Every age error message starts with
// "age: <name>: " (e.g. "age: header failure: stanza 1 (X25519): share is not 32 bytes"), so the
// class survives with_context() and can be recovered with age_failure_of().
enum class AgeFailure {
  kNone,     // not an age decryption error
  kArmor,    // "armor failure": the ASCII armor is malformed
  kHeader,   // "header failure": the header does not parse, or a stanza for our key type is malformed
  kNoMatch,  // "no match": no identity unwraps any stanza (wrong key)
  kHmac,     // "HMAC failure": the file key was unwrapped but the header MAC does not verify
  kPayload,  // "payload failure": the STREAM payload is truncated, extended or does not authenticate
};

std::string_view age_failure_name(AgeFailure failure);

// The class of an error returned by the age functions; kNone for any other error.
AgeFailure age_failure_of(const Error& error);

// Builds an age error: kind defaults by class (armor/header/payload → kCorrupt, no match and
// HMAC → kAuthentication) unless given. `detail` must never contain secret material.
Error age_error(AgeFailure failure, std::string detail);
Error age_error(AgeFailure failure, ErrorKind kind, std::string detail);

inline std::unexpected<Error> age_fail(AgeFailure failure, std::string detail) {
  return std::unexpected(age_error(failure, std::move(detail)));
}
inline std::unexpected<Error> age_fail(AgeFailure failure, ErrorKind kind, std::string detail) {
  return std::unexpected(age_error(failure, kind, std::move(detail)));
}

// Adds `context` after the "age: <class>: " prefix of an age error (before the message of any other).
Error age_with_context(const std::string& context, Error error);

// For messages: `text` with non-printable bytes escaped as \xNN, cut to `max` characters.
std::string age_quote(std::string_view text, std::size_t max = 40);

}  // namespace lucid::crypto
