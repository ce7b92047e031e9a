// Keccak-256 as Ethereum and the Solidity ABI use it: the original Keccak padding (0x01), not
// NIST SHA3-256's (0x06). Crypto++ computes it; the chain uses it only where the ABI requires it
// (function selectors, event topics, hashes of indexed dynamic event arguments).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace lucid::chain {

using Keccak256 = std::array<std::uint8_t, 32>;

Keccak256 keccak256(std::span<const std::uint8_t> bytes);
Keccak256 keccak256(std::string_view text);

}  // namespace lucid::chain
