// The one way to compare a MAC, tag or other authenticator with the value it should have: in time
// that does not depend on where the first difference is (libsodium's sodium_memcmp).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace lucid::crypto {

// True when `a` and `b` hold the same bytes. Lengths are public: different lengths are unequal at
// once; equal lengths are compared in constant time.
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace lucid::crypto
