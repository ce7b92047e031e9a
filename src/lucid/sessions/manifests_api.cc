#include "lucid/sessions/manifests_api.h"

#include <chrono>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/base/prometheus.h"
#include "lucid/base/text.h"
#include "lucid/base/time.h"
#include "lucid/jwt/jwk.h"
#include "lucid/seal/manifest.h"
#include "lucid/seal/manifest_check.h"
#include "lucid/sessions/gateway.h"

namespace lucid::sessions {
namespace {

using http::error_response;
using http::json_response;
using nlohmann::json;

constexpr std::string_view kManifestsPath = "/v1/manifests";

// The outcome names as metric label values, in the order of ManifestsApi::Outcome.
constexpr std::array<std::string_view, 8> kOutcomeNames = {"accepted",  "retried",     "unauthorized",
                                                           "forbidden", "malformed",   "bad_manifest",
                                                           "conflict",  "store_failed"};

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json session_json(const StoredSession& s) {
  json out{{"session_id", s.session_id},
           {"node_key", s.node_key},
           {"state", anchor_state_name(s.state)},
           {"manifest_hash", s.manifest_hash},
           {"merkle_root", s.merkle_root},
           {"chunk_count", s.chunk_count},
           {"started_at_ms", s.started_at_ms},
           {"received_at_ms", s.received_at_ms},
           {"transaction", nullptr},
           {"final", nullptr}};
  if (s.transaction)
    out["transaction"] = json{{"sender", s.transaction->sender},
                              {"nonce", s.transaction->nonce},
                              {"hash", s.transaction->tx_hash},
                              {"sent_at_ms", s.transaction->sent_at_ms}};
  if (s.final_anchor)
    out["final"] = json{{"height", s.final_anchor->height},
                        {"block_hash", s.final_anchor->block_hash},
                        {"final_at_ms", s.final_anchor->final_at_ms}};
  return out;
}

// The claim `name` as a string, or "" when absent or not a string.
std::string string_claim(const jwt::Claims& claims, const char* name) {
  const auto found = claims.payload().find(name);
  return found != claims.payload().end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

Result<jwt::KeySet> gateway_keys_from_list(std::string_view list) {
  jwt::KeySet keys;
  for (const std::string& item : split_comma_list(list)) {
    crypto::Ed25519PublicKey key{};
    if (!from_hex_into(item, key))
      return fail(
          ErrorKind::kInvalidArgument,
          fmt::format("gateway key {:?}: expected sessions-gateway's Ed25519 public key (64 hex digits, "
                      "as its keygen prints it)",
                      item.substr(0, 80)));
    if (auto added = keys.add(jwt::jwk_thumbprint(key), key); !added)
      return fail(ErrorKind::kInvalidArgument, fmt::format("gateway key {}: listed twice", item));
  }
  if (keys.empty())
    return fail(ErrorKind::kInvalidArgument,
                "no gateway keys: the tokens of sessions-gateway could not be checked");
  return keys;
}

ManifestsApi::ManifestsApi(ManifestStore& store, ManifestsApiOptions options)
    : store_(store), options_(std::move(options)) {}

std::int64_t ManifestsApi::now_ms() const {
  return options_.clock_ms ? options_.clock_ms() : system_now_ms();
}

http::Response ManifestsApi::handle(const http::Request& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == kManifestsPath) {
    if (request.method != "POST") return error_response(405, "POST a manifest here");
    return submit(request);
  }
  if (request.method != "GET") return error_response(405, "only GET here");
  if (path.starts_with(fmt::format("{}/", kManifestsPath)))
    return session(request, path.substr(kManifestsPath.size() + 1));
  if (path == "/health") return health();
  if (path == "/metrics") return metrics();
  return error_response(404, "no such endpoint (docs/formats.md \"sessions-manifests API\")");
}

http::Response ManifestsApi::count(Outcome outcome, http::Response response) {
  outcomes_[outcome].fetch_add(1, std::memory_order_relaxed);
  return response;
}

Result<jwt::Claims> ManifestsApi::authorize(const http::Request& request) const {
  const auto header = request.headers.find("authorization");
  if (header == request.headers.end() || !header->second.starts_with("Bearer "))
    return fail(ErrorKind::kAuthentication,
                "no bearer token: send the session:write token sessions-gateway minted with the id");
  jwt::VerifyOptions verify;
  verify.issuer = options_.issuer;
  verify.audience = options_.audience;
  verify.now = now_ms() / 1000;
  auto claims = jwt::verify(std::string_view(header->second).substr(7), options_.gateway_keys, verify);
  if (!claims) return fail(ErrorKind::kAuthentication, fmt::format("token: {}", claims.error().message));
  if (string_claim(*claims, "sid").empty() || claims->subject().empty())
    return fail(ErrorKind::kAuthentication,
                "token: no sid or sub claim: not a session token of sessions-gateway");
  return claims;
}

http::Response ManifestsApi::submit(const http::Request& request) {
  auto claims = authorize(request);
  if (!claims) return count(kUnauthorized, error_response(401, claims.error().message));
  if (!claims->has_scope(kSessionWriteScope))
    return count(kForbidden, error_response(403, "the token has no session:write scope"));
  auto manifest = seal::parse_manifest(request.body);
  if (!manifest)
    return count(kMalformed, error_response(400, fmt::format("manifest: {}", manifest.error().message)));
  const std::string sid = string_claim(*claims, "sid");
  if (manifest->session_id != sid)
    return count(kForbidden,
                 error_response(403, fmt::format("the token is for session {}, the manifest is session {}",
                                                 sid, manifest->session_id)));
  crypto::Ed25519PublicKey node{};
  if (!from_hex_into(claims->subject(), node))
    return count(kForbidden, error_response(403, "the token's sub is not a node key"));
  if (manifest->node_public_key() != node)
    return count(
        kForbidden,
        error_response(403, fmt::format("the token is for node {}, the manifest names another node as its "
                                        "recorder",
                                        claims->subject())));
  if (const auto problems = seal::check_manifest(*manifest, node); !problems.empty())
    return count(kBadManifest, error_response(400, fmt::format("manifest: {}: {}", problems.front().subject,
                                                               problems.front().message)));
  auto hash = manifest->hash();
  if (!hash) return count(kMalformed, error_response(400, fmt::format("manifest: {}", hash.error().message)));
  const auto started = parse_rfc3339(manifest->created_at);
  if (!started) return count(kMalformed, error_response(400, "manifest: created_at is not an RFC 3339 time"));

  NewSession session;
  session.session_id = manifest->session_id;
  session.node_key = claims->subject();
  session.manifest_hash = to_hex(*hash);
  session.merkle_root = to_hex(manifest->merkle_root);
  session.chunk_count = static_cast<std::int64_t>(manifest->chunk_count);
  session.started_at_ms = *started * 1000;
  session.received_at_ms = now_ms();
  session.manifest_json = request.body;
  auto admitted = store_.admit(session);
  if (!admitted) return count(kStoreFailed, error_response(503, admitted.error().message));
  if (*admitted == Admission::kConflict)
    return count(
        kConflict,
        error_response(409, fmt::format("session {} holds another manifest: a session id is used once",
                                        session.session_id)));
  auto stored = store_.find(session.session_id);
  if (!stored || !*stored)
    return count(kStoreFailed, error_response(503, stored ? "the session just stored is not found"
                                                          : stored.error().message));
  json body = session_json(**stored);
  body["status_url"] = fmt::format("{}/{}", kManifestsPath, session.session_id);
  return count(*admitted == Admission::kStored ? kAccepted : kRetried, json_response(202, body));
}

http::Response ManifestsApi::session(const http::Request& request, const std::string& id) {
  auto claims = authorize(request);
  if (!claims) return error_response(401, claims.error().message);
  if (string_claim(*claims, "sid") != id) return error_response(403, "the token is for another session");
  auto found = store_.find(id);
  if (!found) return error_response(503, found.error().message);
  if (!*found) return error_response(404, fmt::format("no manifest was submitted for session {}", id));
  json body = session_json(**found);
  body["status_url"] = fmt::format("{}/{}", kManifestsPath, id);
  return json_response(200, body);
}

http::Response ManifestsApi::health() {
  auto depth = store_.queue_depth();
  if (!depth)
    return json_response(
        503, json{{"healthy", false}, {"reason", fmt::format("store: {}", depth.error().message)}});
  json oldest = nullptr;
  if (depth->oldest_unanchored_received_at_ms) oldest = now_ms() - *depth->oldest_unanchored_received_at_ms;
  return json_response(200, json{{"healthy", true},
                                 {"queued", depth->queued},
                                 {"sent", depth->sent},
                                 {"final", depth->final},
                                 {"oldest_unanchored_age_ms", oldest}});
}

http::Response ManifestsApi::metrics() {
  static_assert(kOutcomeNames.size() == kOutcomeCount, "a name for every outcome");
  PrometheusWriter out;
  out.family("lucid_sessions_manifests_submissions_total", "counter", "Manifest submissions, by outcome.");
  for (int i = 0; i < kOutcomeCount; ++i)
    out.sample("lucid_sessions_manifests_submissions_total",
               {{"outcome", kOutcomeNames[static_cast<std::size_t>(i)]}},
               outcomes_[static_cast<std::size_t>(i)].load(std::memory_order_relaxed));
  auto depth = store_.queue_depth();
  out.single("lucid_sessions_manifests_store_up", "gauge", "Whether the store answered.", depth.has_value());
  if (depth) {
    out.family("lucid_sessions_manifests_anchors", "gauge", "Stored sessions by the state of their anchor.");
    out.sample("lucid_sessions_manifests_anchors", {{"state", "queued"}}, depth->queued);
    out.sample("lucid_sessions_manifests_anchors", {{"state", "sent"}}, depth->sent);
    out.sample("lucid_sessions_manifests_anchors", {{"state", "final"}}, depth->final);
    out.single("lucid_sessions_manifests_queue_depth", "gauge", "Sessions whose anchor is not final yet.",
               depth->queued + depth->sent);
    out.single("lucid_sessions_manifests_oldest_unanchored_age_seconds", "gauge",
               "Age of the oldest session whose anchor is not final (0 when none).",
               depth->oldest_unanchored_received_at_ms
                   ? static_cast<double>(now_ms() - *depth->oldest_unanchored_received_at_ms) / 1000.0
                   : 0.0);
  }
  http::Response response;
  response.content_type = "text/plain; version=0.0.4";
  response.body = out.take();
  return response;
}

}  // namespace lucid::sessions
