#include "lucid/crypto/age_common.h"

#include <array>

#include <fmt/format.h>

namespace lucid::crypto {
namespace {
constexpr std::array<AgeFailure, 5> kClasses = {AgeFailure::kArmor, AgeFailure::kHeader, AgeFailure::kNoMatch,
                                                AgeFailure::kHmac, AgeFailure::kPayload};
}  // namespace

std::string_view age_failure_name(AgeFailure failure) {
  switch (failure) {
    case AgeFailure::kNone:
      return "none";
    case AgeFailure::kArmor:
      return "armor failure";
    case AgeFailure::kHeader:
      return "header failure";
    case AgeFailure::kNoMatch:
      return "no match";
    case AgeFailure::kHmac:
      return "HMAC failure";
    case AgeFailure::kPayload:
      return "payload failure";
  }
  return "none";
}

AgeFailure age_failure_of(const Error& error) {
  for (AgeFailure f : kClasses) {
    if (error.message.find(fmt::format("age: {}: ", age_failure_name(f))) != std::string::npos) return f;
  }
  return AgeFailure::kNone;
}

Error age_error(AgeFailure failure, ErrorKind kind, std::string detail) {
  return Error(kind, fmt::format("age: {}: {}", age_failure_name(failure), detail));
}

Error age_error(AgeFailure failure, std::string detail) {
  ErrorKind kind = failure == AgeFailure::kNoMatch || failure == AgeFailure::kHmac
                       ? ErrorKind::kAuthentication
                       : ErrorKind::kCorrupt;
  return age_error(failure, kind, std::move(detail));
}

Error age_with_context(const std::string& context, Error error) {
  AgeFailure f = age_failure_of(error);
  if (f == AgeFailure::kNone) return with_context(context, std::move(error));
  std::string prefix = fmt::format("age: {}: ", age_failure_name(f));
  std::size_t at = error.message.find(prefix);
  error.message.insert(at + prefix.size(), context + ": ");
  return error;
}

std::string age_quote(std::string_view text, std::size_t max) {
  std::string out = "\"";
  std::size_t n = 0;
  for (char c : text) {
    if (n++ == max) {
      out += "…";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\')
      out += c;
    else
      out += fmt::format("\\x{:02x}", u);
  }
  out += '"';
  return out;
}

}  // namespace lucid::crypto
