#include "lucid/sessions/mint_request.h"

#include <algorithm>
#include <array>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "lucid/base/canonical_json.h"
#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/base/random.h"
#include "lucid/crypto/blake3.h"

namespace lucid::sessions {
namespace {

using nlohmann::json;

// The longest string member read (the nonce, the keys and the signature are far shorter).
constexpr std::size_t kMaxStringBytes = 256;
// Timestamps are integers canonical JSON holds exactly.
constexpr std::uint64_t kMaxTimestampMs = (std::uint64_t{1} << 53) - 1;

Error malformed(std::string message) {
  return Error{ErrorKind::kInvalidArgument, fmt::format("mint request: {}", message)};
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status check_nonce(const std::string& nonce) {
  if (nonce.size() != kNonceHexDigits || !is_lower_hex(nonce))
    return std::unexpected(
        malformed(fmt::format("request.nonce: expected {} lower-case hex digits", kNonceHexDigits)));
  return {};
}

json request_json(const crypto::Ed25519PublicKey& node_key, const MintRequestFields& fields) {
  return json{{"format", kMintRequestFormat},        {"version", kMintRequestVersion},
              {"node_key", to_hex(node_key)},        {"nonce", fields.nonce},
              {"timestamp_ms", fields.timestamp_ms}, {"policy", fields.policy}};
}

// kMintRequestDomain ‖ canonical JSON of the request.
Result<std::string> signing_bytes(const json& request) {
  auto canonical = canonical_json(request);
  if (!canonical) return std::unexpected(malformed(canonical.error().message));
  return fmt::format("{}{}", kMintRequestDomain, *canonical);
}

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// JsonFields reports kCorrupt (a stored document); a request is the caller's input.
Error as_malformed(const Error& e) {
  return malformed(e.message);
}

}  // namespace

Result<std::string> policy_hash(const json& policy) {
  if (!policy.is_object()) return std::unexpected(malformed("request.policy: expected an object"));
  auto canonical = canonical_json(policy);
  if (!canonical)
    return std::unexpected(malformed(fmt::format("request.policy: {}", canonical.error().message)));
  return to_hex(crypto::blake3(bytes_of(*canonical)));
}

std::string new_mint_nonce() {
  std::array<std::uint8_t, kNonceHexDigits / 2> bytes{};
  random_bytes(bytes);
  return to_hex(bytes);
}

Result<std::string> sign_mint_request(const crypto::Ed25519KeyPair& node, const MintRequestFields& fields) {
  if (auto nonce = check_nonce(fields.nonce); !nonce) return std::unexpected(nonce.error());
  if (fields.timestamp_ms < 0 || static_cast<std::uint64_t>(fields.timestamp_ms) > kMaxTimestampMs)
    return std::unexpected(malformed("request.timestamp_ms: out of range"));
  if (auto hash = policy_hash(fields.policy); !hash) return std::unexpected(hash.error());
  const json request = request_json(node.public_key(), fields);
  auto message = signing_bytes(request);
  if (!message) return std::unexpected(message.error());
  const crypto::Ed25519Signature signature = node.sign(bytes_of(*message));
  std::string envelope = json{{"request", request}, {"signature", to_hex(signature)}}.dump();
  // What the gateway will read: a policy that nests too deep or an envelope too large is refused
  // here, at the node, rather than there.
  if (envelope.size() > kMaxMintRequestBytes)
    return std::unexpected(
        malformed(fmt::format("{} bytes, more than the {} allowed (a smaller policy snapshot is needed)",
                              envelope.size(), kMaxMintRequestBytes)));
  if (auto read = read_mint_request(envelope); !read) return std::unexpected(read.error());
  return envelope;
}

Result<MintRequestFields> read_mint_request(std::string_view envelope) {
  if (envelope.size() > kMaxMintRequestBytes)
    return std::unexpected(
        malformed(fmt::format("{} bytes, more than the {} allowed", envelope.size(), kMaxMintRequestBytes)));
  auto document = parse_json_object(envelope, "mint request", kMaxPolicyDepth + 2);
  if (!document) return std::unexpected(document.error());

  JsonFields outer(*document, "", kMaxStringBytes);
  auto request_member = outer.get("request", json::value_t::object);
  if (!request_member) return std::unexpected(as_malformed(request_member.error()));
  auto signature = outer.hex_bytes<64>("signature");
  if (!signature) return std::unexpected(as_malformed(signature.error()));
  if (auto unknown = outer.no_unknown_fields(); !unknown)
    return std::unexpected(as_malformed(unknown.error()));

  const json& request = **request_member;
  JsonFields fields(request, "request", kMaxStringBytes);
  auto format = fields.string("format");
  if (!format) return std::unexpected(as_malformed(format.error()));
  if (*format != kMintRequestFormat)
    return std::unexpected(malformed(fmt::format("request.format: expected {:?}", kMintRequestFormat)));
  auto version = fields.uint("version");
  if (!version) return std::unexpected(as_malformed(version.error()));
  if (*version != kMintRequestVersion)
    return std::unexpected(malformed(fmt::format("request.version: this gateway reads version {}, not {}",
                                                 kMintRequestVersion, *version)));
  MintRequestFields out;
  auto node_key = fields.hex_bytes<32>("node_key");
  if (!node_key) return std::unexpected(as_malformed(node_key.error()));
  out.node_key = *node_key;
  auto nonce_text = fields.string("nonce");
  if (!nonce_text) return std::unexpected(as_malformed(nonce_text.error()));
  out.nonce = std::move(*nonce_text);
  if (auto nonce = check_nonce(out.nonce); !nonce) return std::unexpected(nonce.error());
  auto timestamp = fields.uint("timestamp_ms", kMaxTimestampMs, "2^53 - 1");
  if (!timestamp) return std::unexpected(as_malformed(timestamp.error()));
  out.timestamp_ms = static_cast<std::int64_t>(*timestamp);
  auto policy = fields.get("policy", json::value_t::object);
  if (!policy) return std::unexpected(as_malformed(policy.error()));
  out.policy = **policy;
  if (auto unknown = fields.no_unknown_fields(); !unknown)
    return std::unexpected(as_malformed(unknown.error()));

  // The bytes signed are re-made from what was read, so members the signer did not see cannot be
  // smuggled in: every member is accounted for above.
  auto message = signing_bytes(request);
  if (!message) return std::unexpected(message.error());
  if (!crypto::ed25519_verify(out.node_key, bytes_of(*message), *signature))
    return fail(ErrorKind::kAuthentication,
                "mint request: the signature does not verify with request.node_key");
  return out;
}

}  // namespace lucid::sessions
