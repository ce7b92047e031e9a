// Tor v3 onion addresses (rend-spec-v3): base32(public key ‖ SHA3-256(".onion checksum" ‖ public key
// ‖ 0x03)[:2] ‖ 0x03), 56 characters. beta derives its planes' addresses with it; lint and render
// check the addresses a config repo pins.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lucid/base/result.h"

namespace lucid::crypto {

using OnionPublicKey = std::array<std::uint8_t, 32>;

// The 56-character v3 address (lower case, without ".onion").
std::string onion_address(const OnionPublicKey& public_key);
// Parses "<56 chars>[.onion]" (either case) and checks version and checksum; returns the public key.
Result<OnionPublicKey> parse_onion_address(std::string_view address);
// RFC 4648 base32, lower case, no padding.
std::string base32_lower(std::span<const std::uint8_t> bytes);

}  // namespace lucid::crypto
