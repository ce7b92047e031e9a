// The signed request a node sends sessions-gateway for a session id (docs/formats.md "Session mint
// request"): the node's Ed25519 key, a random nonce, the time, and the privacy policy snapshot it
// negotiated, signed by that key. Both sides use this file: node-worker makes requests, the gateway
// reads and checks them. Whether the key is admitted, the time is in the window and the nonce is
// fresh is the gateway's to judge (gateway.h); this file only proves who signed what.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/crypto/ed25519.h"

namespace lucid::sessions {

inline constexpr std::string_view kMintRequestFormat = "lucid.session-mint-request";
inline constexpr int kMintRequestVersion = 1;
// The signature is over this domain string, then the request's RFC 8785 canonical JSON, so a
// signature made for another of the node key's documents can never pass for a request.
inline constexpr std::string_view kMintRequestDomain = "lucid-session-mint-request-v1\n";
// The whole envelope; a larger one is refused before it is parsed.
inline constexpr std::size_t kMaxMintRequestBytes = std::size_t{16} * 1024;
// The policy object nests at most this deep (the envelope adds two levels).
inline constexpr int kMaxPolicyDepth = 8;
// 16 random bytes as 32 lower-case hex digits.
inline constexpr std::size_t kNonceHexDigits = 32;

struct MintRequestFields {
  crypto::Ed25519PublicKey node_key{};
  std::string nonce;  // kNonceHexDigits lower-case hex digits
  std::int64_t timestamp_ms = 0;
  nlohmann::json policy = nlohmann::json::object();  // the privacy policy snapshot, a JSON object
};

// Hex BLAKE3 of the policy's canonical JSON: the pin a gateway admits and the `pol` claim of the
// token. kInvalidArgument when the policy is not an object canonical JSON can write (fractions,
// integers beyond 2^53).
Result<std::string> policy_hash(const nlohmann::json& policy);

// A fresh nonce from the OS's random source.
std::string new_mint_nonce();

// The envelope {"request": {...}, "signature": hex} as compact JSON text, the request signed by
// `node` (whose public key it carries; fields.node_key is ignored). kInvalidArgument when a field
// would be refused by read_mint_request.
Result<std::string> sign_mint_request(const crypto::Ed25519KeyPair& node, const MintRequestFields& fields);

// The request of an envelope once its signature verifies with the key it names. Every member is
// checked strictly (no unknown or duplicated members, the format and version, the nonce's form, a
// non-negative timestamp, the policy an object within the bounds). Errors are one line that never
// quotes the envelope: kInvalidArgument for a malformed envelope, kAuthentication for a signature
// that does not verify.
Result<MintRequestFields> read_mint_request(std::string_view envelope);

}  // namespace lucid::sessions
