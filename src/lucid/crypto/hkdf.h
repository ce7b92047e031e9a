// HKDF with HMAC-SHA256 (RFC 5869).
#pragma once

#include <cstdint>
#include <span>

#include "lucid/base/result.h"

namespace lucid::crypto {

// Fills `out` (at most 255 × 32 bytes) with HKDF-Expand(HKDF-Extract(salt, ikm), info, |out|).
Status hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                   std::span<const std::uint8_t> info, std::span<std::uint8_t> out);

}  // namespace lucid::crypto
