// SHA-256 (OpenSSL): the raw digest, and the "sha256:<hex>" form OCI digests, SBOM checksums and
// image references use.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lucid::crypto {

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes);

// SHA-256 of `bytes` as "sha256:<64 lower-case hex>" (OCI digest form).
std::string sha256_digest(std::span<const std::uint8_t> bytes);
std::string sha256_digest(std::string_view bytes);

}  // namespace lucid::crypto
