// What the sessions group's tests share: fixed keys, a fixed time, and a privacy policy snapshot.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "lucid/crypto/ed25519.h"

namespace lucid::sessions::testing_fixtures {

inline constexpr std::int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// The key whose 32-byte seed is `byte` repeated: a node, a token key, a stranger.
inline crypto::Ed25519KeyPair key_from_byte(std::uint8_t byte) {
  crypto::Ed25519Seed seed;
  for (auto& b : seed.span()) b = byte;
  return crypto::Ed25519KeyPair::from_seed(seed);
}

// The policy snapshot the tests' gateways pin.
inline const nlohmann::json& standard_policy() {
  static const nlohmann::json policy{{"name", "lucid-privacy-standard"}, {"version", 3}};
  return policy;
}

}  // namespace lucid::sessions::testing_fixtures
