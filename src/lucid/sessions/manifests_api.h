// sessions-manifests' HTTP API (docs/sessions.md step 3, docs/formats.md "sessions-manifests API"):
// receives a sealed session's manifest with the session:write token sessions-gateway minted for it,
// and stores it for its anchor. A submit is checked in this order, each failure its own status: the
// bearer token is the gateway's and holds now (401), it has the session:write scope (403); the body is
// a well-formed manifest (400); the token's `sid` is the manifest's session id and its `sub` the
// manifest's node (403); the manifest is consistent — Merkle root over its leaves — and signed by that
// node (400); the id was never used for another manifest (409). A retried submit of the same manifest
// is answered as the first (202). Then the anchor sender takes it from the store.
//
// Thread-safe: the HTTP server calls handle() from several threads.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "lucid/base/http_server.h"
#include "lucid/base/result.h"
#include "lucid/jwt/jwt.h"
#include "lucid/sessions/manifest_store.h"

namespace lucid::sessions {

struct ManifestsApiOptions {
  jwt::KeySet gateway_keys;                     // the tokens' issuers: sessions-gateway's public keys
  std::string issuer = "sessions-gateway";      // the tokens' `iss`
  std::string audience = "sessions-manifests";  // the tokens' `aud`
  std::function<std::int64_t()> clock_ms;       // Unix ms; the system clock when unset
};

// The gateway's public keys from a comma-separated list of hex Ed25519 keys (what a cluster's .env
// gives as SESSIONS_GATEWAY_KEYS), each under its RFC 7638 thumbprint, the kid the gateway signs with.
Result<jwt::KeySet> gateway_keys_from_list(std::string_view list);

class ManifestsApi {
 public:
  // `store` outlives the API; options.gateway_keys must not be empty.
  ManifestsApi(ManifestStore& store, ManifestsApiOptions options);

  http::Response handle(const http::Request& request);

 private:
  enum Outcome : int {
    kAccepted,
    kRetried,
    kUnauthorized,
    kForbidden,
    kMalformed,
    kBadManifest,
    kConflict,
    kStoreFailed,
    kOutcomeCount
  };

  http::Response submit(const http::Request& request);
  http::Response session(const http::Request& request, const std::string& id);
  http::Response health();
  http::Response metrics();
  http::Response count(Outcome outcome, http::Response response);
  Result<jwt::Claims> authorize(const http::Request& request) const;
  std::int64_t now_ms() const;

  ManifestStore& store_;
  ManifestsApiOptions options_;
  std::array<std::atomic<std::uint64_t>, kOutcomeCount> outcomes_{};
};

}  // namespace lucid::sessions
