// Tor v3 onion addresses (rend-spec-v3): base32(public key ‖ SHA3-256(".onion checksum" ‖ public key
// ‖ 0x03)[:2] ‖ 0x03), 56 characters. beta derives its planes' addresses with it; lint and render
// check the addresses a config repo pins.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::crypto {

using OnionPublicKey = std::array<std::uint8_t, 32>;

// The 56-character v3 address (lower case, without ".onion").
std::string onion_address(const OnionPublicKey& public_key);
// Parses "<56 chars>[.onion]" (either case) and checks version and checksum; returns the public key.
Result<OnionPublicKey> parse_onion_address(std::string_view address);
// RFC 4648 base32, lower case, no padding.
std::string base32_lower(std::span<const std::uint8_t> bytes);
// Its inverse, either case; refuses other characters and non-zero trailing bits.
Result<std::vector<std::uint8_t>> base32_decode(std::string_view text);

// Tor v3 client authorization (rend-spec-v3 "client authorization"): an onion service publishes
// its descriptor readable only by the X25519 public keys it is given (ADD_ONION ClientAuthV3=).
// The text form is tor's: base32, upper case, no padding, 52 characters.
using ClientAuthPublicKey = std::array<std::uint8_t, 32>;
std::string client_auth_key_text(const ClientAuthPublicKey& key);
// Either case; exactly 52 characters of 32 bytes.
Result<ClientAuthPublicKey> parse_client_auth_key(std::string_view text);

}  // namespace lucid::crypto
