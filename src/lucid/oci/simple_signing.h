// cosign's simple-signing payload (legacy `.sig` layout): building the exact bytes cosign signs and
// reading the claims back out of a payload without trusting anything but the bytes that were signed.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "lucid/base/result.h"

namespace lucid::oci {

inline constexpr std::string_view kCosignSignatureType = "cosign container image signature";

struct SimpleSigningClaim {
  std::string docker_reference;  // repository without tag or digest: "127.0.0.1:5000/lucid/beta"
  std::string manifest_digest;   // "sha256:<64 hex>"
  std::string type;              // kCosignSignatureType for cosign signatures
  std::map<std::string, std::string> optional;  // string annotations only; empty → `"optional":null`
};

// The payload bytes as cosign (Go encoding/json) writes them: compact, fields in struct order
// critical{identity{docker-reference}, image{docker-manifest-digest}, type}, optional (keys sorted,
// null when empty), Go's string escaping (<, >, & as \u003c…). No trailing newline.
std::string simple_signing_payload(const SimpleSigningClaim& claim);
// The same for a reference and digest with cosign's type and no optional annotations.
std::string simple_signing_payload(std::string_view docker_reference, std::string_view manifest_digest);

// Parses a payload (any key order, any whitespace). Non-string optional values are skipped.
// kCorrupt when it is not JSON or lacks a critical field.
Result<SimpleSigningClaim> parse_simple_signing(std::string_view payload);

}  // namespace lucid::oci
