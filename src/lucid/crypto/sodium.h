// libsodium must be initialised once before use (it picks its SIMD implementations then);
// every wrapper calls sodium_ready() first, so no caller can forget.
#pragma once

namespace lucid::crypto {
void sodium_ready();
}  // namespace lucid::crypto
