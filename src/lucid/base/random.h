// Cryptographically secure random bytes and identifiers from the kernel (getrandom(2)).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace lucid {

void random_bytes(std::span<std::uint8_t> out);

// A random (version 4) UUID in its canonical lower-case 8-4-4-4-12 form.
std::string uuid_v4();
// Parses the canonical form into 16 bytes; false when `text` is not a well-formed UUID.
bool parse_uuid(const std::string& text, std::span<std::uint8_t, 16> out);

}  // namespace lucid
