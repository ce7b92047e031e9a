// sessions-gateway's HTTP API (docs/sessions.md step 1, docs/formats.md "sessions-gateway API"):
// mints single-use session ids for admitted nodes and answers each with a `session:write` token,
// publishes its token keys, and reports health and metrics.
//
// A mint is checked in this order, each failure its own status: the envelope is well formed and its
// signature verifies (400, 401); the node key is on the allow-list (403); the request's time is
// within the window of the gateway's clock (401); the policy's hash is pinned (403); the node's
// token bucket has a token (429 with Retry-After); the nonce is fresh (409). Only then is an id
// drawn, stored with its nonce in one transaction (MintStore), and the token signed.
//
// Thread-safe: the HTTP server calls handle() from several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "lucid/base/http_server.h"
#include "lucid/base/result.h"
#include "lucid/crypto/ed25519.h"
#include "lucid/sessions/mint_store.h"
#include "lucid/sessions/rate_limiter.h"

namespace lucid::sessions {

// The scope of the token a mint answers with: the node may submit this one session's manifest.
inline constexpr std::string_view kSessionWriteScope = "session:write";

struct GatewayOptions {
  std::string issuer = "sessions-gateway";           // the tokens' `iss`
  std::string audience = "sessions-manifests";       // the session:write tokens' `aud`
  std::set<crypto::Ed25519PublicKey> nodes;          // the node keys admitted
  std::set<std::string> policy_pins;                 // hex BLAKE3 of the privacy policy snapshots admitted
  std::chrono::milliseconds request_window{60'000};  // a request's timestamp is at most this far off
  std::chrono::seconds token_lifetime{4 * 3600};     // of a session:write token (and of its id)
  RateLimits rate;
  std::function<std::int64_t()> clock_ms;  // Unix ms; the system clock when unset
};

// Refuses options a gateway cannot run with (no nodes, no pins, a window or lifetime out of range,
// a rate that admits nothing), naming what to change.
Status check_gateway_options(const GatewayOptions& options);

// The node allow-list file: one Ed25519 public key (64 hex digits) per line, optionally followed by
// whitespace and a label; blank lines and lines starting with '#' are skipped. Errors name the file
// and line. An empty list is an error (a gateway that admits nobody is a configuration mistake).
Result<std::set<crypto::Ed25519PublicKey>> load_node_allow_list(const std::filesystem::path& file);

// The node allow-list from a comma-separated list of public keys (64 hex digits each): what a
// cluster's .env gives as SESSIONS_NODE_KEYS. Errors name the bad entry; an empty list is an error.
Result<std::set<crypto::Ed25519PublicKey>> parse_node_keys(std::string_view list);

// Policy pins from a comma-separated list of 64-hex BLAKE3 hashes; errors name the bad entry.
Result<std::set<std::string>> parse_policy_pins(std::string_view list);

class Gateway {
 public:
  // `store` outlives the gateway. check_gateway_options(options) must hold.
  Gateway(MintStore& store, crypto::Ed25519KeyPair token_key, GatewayOptions options);

  http::Response handle(const http::Request& request);
  const std::string& kid() const { return kid_; }

 private:
  enum Refusal : int {
    kMalformed,
    kBadSignature,
    kUnknownNode,
    kOutsideWindow,
    kPolicyNotPinned,
    kRateLimited,
    kReplayed,
    kStoreFailed,
    kRefusalCount
  };

  http::Response mint(const http::Request& request);
  http::Response refuse(Refusal why, int status, const std::string& message);
  http::Response keys() const;
  http::Response health();
  http::Response metrics() const;
  std::int64_t now_ms() const;
  void forget_old_nonces(std::int64_t now_ms);

  MintStore& store_;
  crypto::Ed25519KeyPair token_key_;
  std::string kid_;
  GatewayOptions options_;
  RateLimiter limiter_;
  std::atomic<std::int64_t> last_prune_ms_{0};
  std::atomic<std::uint64_t> minted_{0};
  std::array<std::atomic<std::uint64_t>, kRefusalCount> refused_{};
};

}  // namespace lucid::sessions
