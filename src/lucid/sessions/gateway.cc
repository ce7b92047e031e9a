#include "lucid/sessions/gateway.h"

#include <algorithm>
#include <array>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/prometheus.h"
#include "lucid/base/random.h"
#include "lucid/base/text.h"
#include "lucid/jwt/jwk.h"
#include "lucid/jwt/jwt.h"
#include "lucid/sessions/mint_request.h"

namespace lucid::sessions {
namespace {

using http::error_response;
using http::json_response;
using nlohmann::json;

constexpr std::string_view kMintPath = "/v1/mint";
// A fresh UUIDv4 colliding with a stored one is all but impossible; a few draws bound the loop.
constexpr int kMaxIdDraws = 4;

// The refusal reasons as metric label values, in the order of Gateway::Refusal.
constexpr std::array<std::string_view, 8> kRefusalNames = {
    "malformed",         "bad_signature", "unknown_node", "outside_window",
    "policy_not_pinned", "rate_limited",  "replayed",     "store_failed"};

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Adds one allow-list entry; the error says what is wrong with it (its caller says where).
Status add_node_key(std::set<crypto::Ed25519PublicKey>& nodes, std::string_view text) {
  crypto::Ed25519PublicKey key{};
  if (!from_hex_into(text, key))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{:?} is not a node's Ed25519 public key (64 hex digits, as in its node.key.pub)",
                            text.substr(0, 80)));
  if (!nodes.insert(key).second)
    return fail(ErrorKind::kInvalidArgument, fmt::format("node key {} is listed twice", text));
  return {};
}

}  // namespace

Status check_gateway_options(const GatewayOptions& options) {
  if (options.issuer.empty() || options.audience.empty())
    return fail(ErrorKind::kInvalidArgument, "the token issuer and audience must not be empty");
  if (options.nodes.empty())
    return fail(ErrorKind::kInvalidArgument,
                "no node keys are admitted: give the allow-list file (one node public key per line)");
  if (options.policy_pins.empty())
    return fail(ErrorKind::kInvalidArgument,
                "no privacy policy is pinned: give the BLAKE3 hashes of the policy snapshots nodes may use");
  if (options.request_window < std::chrono::seconds(1) || options.request_window > std::chrono::minutes(10))
    return fail(ErrorKind::kInvalidArgument, fmt::format("the request window must be 1 s to 600 s, not {} ms",
                                                         options.request_window.count()));
  if (options.token_lifetime < std::chrono::minutes(1) || options.token_lifetime > std::chrono::hours(24))
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("the token lifetime must be 60 s to 24 h (what sessions-manifests accepts), not {} s",
                    options.token_lifetime.count()));
  if (!(options.rate.per_minute > 0) || !(options.rate.burst >= 1))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("the rate limit must admit something: per minute {} (> 0), burst {} (>= 1)",
                            options.rate.per_minute, options.rate.burst));
  return {};
}

Result<std::set<crypto::Ed25519PublicKey>> load_node_allow_list(const std::filesystem::path& file) {
  auto text = read_text_file(file);
  if (!text) return std::unexpected(text.error());
  std::set<crypto::Ed25519PublicKey> nodes;
  std::istringstream lines(*text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string_view trimmed = trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const std::string_view key_text = trimmed.substr(0, trimmed.find_first_of(" \t"));
    if (auto added = add_node_key(nodes, key_text); !added)
      return fail(ErrorKind::kInvalidArgument, fmt::format("{}:{}: {}, then optionally a label",
                                                           file.string(), number, added.error().message));
  }
  if (nodes.empty())
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: no node keys (one Ed25519 public key in hex per line)", file.string()));
  return nodes;
}

Result<std::set<crypto::Ed25519PublicKey>> parse_node_keys(std::string_view list) {
  std::set<crypto::Ed25519PublicKey> nodes;
  for (const std::string& item : split_comma_list(list))
    if (auto added = add_node_key(nodes, item); !added) return std::unexpected(added.error());
  if (nodes.empty())
    return fail(ErrorKind::kInvalidArgument, "no node keys (comma-separated Ed25519 public keys in hex)");
  return nodes;
}

Result<std::set<std::string>> parse_policy_pins(std::string_view list) {
  std::set<std::string> pins;
  for (const std::string& item : split_comma_list(list)) {
    std::array<std::uint8_t, 32> hash{};
    if (!from_hex_into(item, hash))
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("policy pin {:?}: expected the BLAKE3 hash of a policy snapshot's canonical "
                              "JSON (64 hex digits; `lucid-sessions-gateway policy-hash FILE` prints it)",
                              item.substr(0, 80)));
    pins.insert(to_hex(hash));  // lower case, as policy_hash() writes it
  }
  return pins;
}

Gateway::Gateway(MintStore& store, crypto::Ed25519KeyPair token_key, GatewayOptions options)
    : store_(store),
      token_key_(std::move(token_key)),
      kid_(jwt::jwk_thumbprint(token_key_.public_key())),
      options_(std::move(options)),
      limiter_(options_.rate) {}

std::int64_t Gateway::now_ms() const {
  return options_.clock_ms ? options_.clock_ms() : system_now_ms();
}

http::Response Gateway::handle(const http::Request& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == kMintPath) {
    if (request.method != "POST") return error_response(405, "POST a signed mint request here");
    return mint(request);
  }
  if (request.method != "GET") return error_response(405, "only GET here");
  if (path == "/v1/keys") return keys();
  if (path == "/health") return health();
  if (path == "/metrics") return metrics();
  return error_response(404, "no such endpoint (docs/formats.md \"sessions-gateway API\")");
}

http::Response Gateway::refuse(Refusal why, int status, const std::string& message) {
  refused_[why].fetch_add(1, std::memory_order_relaxed);
  return error_response(status, message);
}

http::Response Gateway::mint(const http::Request& request) {
  auto read = read_mint_request(request.body);
  if (!read)
    return read.error().kind == ErrorKind::kAuthentication ? refuse(kBadSignature, 401, read.error().message)
                                                           : refuse(kMalformed, 400, read.error().message);
  const MintRequestFields& fields = *read;
  const std::string node = to_hex(fields.node_key);
  if (!options_.nodes.contains(fields.node_key))
    return refuse(
        kUnknownNode, 403,
        fmt::format("node {} is not on this gateway's allow-list (the cluster's sessions node list)", node));
  const std::int64_t now = now_ms();
  const std::int64_t skew = fields.timestamp_ms - now;
  if (skew > options_.request_window.count() || -skew > options_.request_window.count())
    return refuse(
        kOutsideWindow, 401,
        fmt::format("the request's timestamp is {} ms {} the gateway's clock (at most {} ms allowed); "
                    "check the node's clock",
                    skew > 0 ? skew : -skew, skew > 0 ? "ahead of" : "behind",
                    options_.request_window.count()));
  auto policy = policy_hash(fields.policy);
  if (!policy) return refuse(kMalformed, 400, policy.error().message);
  if (!options_.policy_pins.contains(*policy))
    return refuse(kPolicyNotPinned, 403,
                  fmt::format("privacy policy {} is not pinned on this gateway; the node must use a policy "
                              "snapshot the cluster pins",
                              *policy));
  if (const auto wait = limiter_.take(node, now); wait.count() > 0) {
    const std::int64_t seconds = (wait.count() + 999) / 1000;
    http::Response refused =
        refuse(kRateLimited, 429,
               fmt::format("node {} is over its rate limit ({} mints per minute, {} at once); retry in {} s",
                           node, options_.rate.per_minute, options_.rate.burst, seconds));
    refused.headers.emplace_back("Retry-After", std::to_string(seconds));
    return refused;
  }

  const std::int64_t iat = now / 1000;
  const std::int64_t exp = iat + options_.token_lifetime.count();
  MintRequest stored;
  stored.record.node_key = node;
  stored.record.policy_hash = *policy;
  stored.record.minted_at_ms = now;
  stored.record.expires_at_ms = exp * 1000;
  stored.nonce = fields.nonce;
  Result<MintOutcome> outcome = fail(ErrorKind::kAlreadyExists, "no id drawn");
  for (int draw = 0; draw < kMaxIdDraws && !outcome && outcome.error().kind == ErrorKind::kAlreadyExists;
       ++draw) {
    stored.record.session_id = uuid_v4();
    outcome = store_.mint(stored);
  }
  if (!outcome) return refuse(kStoreFailed, 503, outcome.error().message);
  if (*outcome == MintOutcome::kReplayed)
    return refuse(
        kReplayed, 409,
        fmt::format("node {} used nonce {} before: a replayed request mints nothing", node, fields.nonce));
  forget_old_nonces(now);

  const json claims{{"iss", options_.issuer},
                    {"aud", options_.audience},
                    {"sub", node},
                    {"sid", stored.record.session_id},
                    {"pol", *policy},
                    {"scope", kSessionWriteScope},
                    {"iat", iat},
                    {"exp", exp},
                    {"jti", stored.record.session_id}};
  minted_.fetch_add(1, std::memory_order_relaxed);
  return json_response(201, json{{"session_id", stored.record.session_id},
                                 {"policy_hash", *policy},
                                 {"token", jwt::sign(claims, token_key_, kid_)},
                                 {"token_type", "Bearer"},
                                 {"expires_at", exp}});
}

// Nonces older than twice the window cannot be replayed (their request is refused by its time
// first); forgotten at most once per window, by whichever mint comes first.
void Gateway::forget_old_nonces(std::int64_t now) {
  std::int64_t last = last_prune_ms_.load(std::memory_order_relaxed);
  if (now - last < options_.request_window.count()) return;
  if (!last_prune_ms_.compare_exchange_strong(last, now)) return;
  if (auto forgotten = store_.forget_nonces_before(now - 2 * options_.request_window.count()); !forgotten)
    fmt::print(stderr, "sessions-gateway: forgetting old nonces: {}\n", forgotten.error().message);
}

http::Response Gateway::keys() const {
  return json_response(200, json{{"keys", json::array({jwt::to_jwk(token_key_.public_key(), kid_)})}});
}

http::Response Gateway::health() {
  if (auto ping = store_.ping(); !ping)
    return json_response(
        503, json{{"healthy", false}, {"reason", fmt::format("store: {}", ping.error().message)}});
  return json_response(200, json{{"healthy", true},
                                 {"kid", kid_},
                                 {"nodes", options_.nodes.size()},
                                 {"policy_pins", options_.policy_pins.size()}});
}

http::Response Gateway::metrics() const {
  static_assert(kRefusalNames.size() == kRefusalCount, "a name for every refusal");
  PrometheusWriter out;
  out.single("lucid_sessions_gateway_mints_total", "counter", "Session ids minted.",
             minted_.load(std::memory_order_relaxed));
  out.family("lucid_sessions_gateway_refused_total", "counter", "Mint requests refused, by reason.");
  for (int i = 0; i < kRefusalCount; ++i)
    out.sample("lucid_sessions_gateway_refused_total",
               {{"reason", kRefusalNames[static_cast<std::size_t>(i)]}},
               refused_[static_cast<std::size_t>(i)].load(std::memory_order_relaxed));
  out.single("lucid_sessions_gateway_admitted_nodes", "gauge", "Node keys on the allow-list.",
             options_.nodes.size());
  http::Response response;
  response.content_type = "text/plain; version=0.0.4";
  response.body = out.take();
  return response;
}

}  // namespace lucid::sessions
