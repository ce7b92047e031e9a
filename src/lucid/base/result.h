// Error values and Result<T>: how every module reports failure across its boundary (no exceptions).
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace lucid {

// What kind of failure: lets callers map errors to exit codes without parsing messages.
enum class ErrorKind {
  kInvalidArgument,  // the caller's input is wrong (bad flag, wrong-size key, bad format)
  kIo,               // the file system or a device refused
  kNotFound,         // a named thing does not exist
  kAlreadyExists,    // the output is in the way
  kCorrupt,          // stored data is malformed or fails an integrity check
  kAuthentication,   // a MAC, AEAD tag or signature does not verify
  kInternal,         // a bug or an unexpected library failure
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;  // one line, names the file/field/chunk and, where useful, what to do

  Error() = default;
  Error(ErrorKind k, std::string msg) : kind(k), message(std::move(msg)) {}
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected<Error>(Error{kind, std::move(message)});
}

// Prefixes an error with context ("manifest.json: ...") while keeping its kind.
inline Error with_context(const std::string& context, Error e) {
  e.message = context + ": " + e.message;
  return e;
}

}  // namespace lucid
