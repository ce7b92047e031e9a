#include "lucid/chain_index/sessions_api.h"

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/base/number.h"
#include "lucid/base/prometheus.h"

namespace lucid::chain_index {

namespace {

using http::error_response;
using http::json_response;
using nlohmann::json;

// A session id as 32 hex digits, or as the manifest's UUID text (8-4-4-4-12).
std::optional<SessionId> parse_session_id(std::string text) {
  if (text.size() == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' && text[23] == '-')
    std::erase(text, '-');
  SessionId id{};
  if (!from_hex_into(text, id)) return std::nullopt;
  return id;
}

// The query parameter as a height when present; `fallback` when absent.
Result<std::uint64_t> height_param(const http::Request& request, const std::string& name,
                                   std::uint64_t fallback) {
  auto text = http::query_param(request.target, name);
  if (!text) return std::unexpected(text.error());
  if (text->empty()) return fallback;
  return parse_number<std::uint64_t>(*text, name);
}

Result<SessionQuery> parse_query(const http::Request& request) {
  SessionQuery query;
  auto owner = http::query_param(request.target, "owner");
  if (!owner) return std::unexpected(owner.error());
  if (!owner->empty()) {
    Hash32 key{};
    if (!from_hex_into(*owner, key))
      return fail(ErrorKind::kInvalidArgument, "owner must be 64 hex digits (the node's Ed25519 public key)");
    query.owner = key;
  }
  LUCID_TRY_ASSIGN(query.from_height, height_param(request, "from_height", 0));
  LUCID_TRY_ASSIGN(query.to_height, height_param(request, "to_height", UINT64_MAX));
  if (query.from_height > query.to_height)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("from_height {} is above to_height {}", query.from_height, query.to_height));
  auto after = http::query_param(request.target, "after");
  if (!after) return std::unexpected(after.error());
  if (!after->empty()) {
    query.after = cursor_from_text(*after);
    if (!query.after)
      return fail(ErrorKind::kInvalidArgument, "after must be the \"next\" value of an earlier page");
  }
  auto limit = http::query_param(request.target, "limit");
  if (!limit) return std::unexpected(limit.error());
  query.limit = kDefaultPageSize;
  if (!limit->empty())
    LUCID_TRY_ASSIGN(query.limit, parse_number_in<std::size_t>(*limit, 1, kMaxPageSize, "limit"));
  return query;
}

}  // namespace

CatchUp judge_catch_up(const IndexerStatus& status, const HealthLimits& limits,
                       std::chrono::steady_clock::time_point now) {
  const std::string failure = status.last_error.empty() ? "" : fmt::format(": {}", status.last_error);
  if (!status.last_success)
    return {false, fmt::format("no poll of blockchain-core has succeeded yet{}", failure)};
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *status.last_success);
  if (age > limits.max_poll_age)
    return {false,
            fmt::format("the last successful poll of blockchain-core was {} s ago (at most {} s allowed){}",
                        age.count(), limits.max_poll_age.count(), failure)};
  if (status.lag_blocks() > limits.max_lag_blocks)
    return {false,
            fmt::format("indexed to height {}, {} blocks behind the final height {} (at most {} allowed)",
                        status.indexed_height, status.lag_blocks(), status.chain_final_height,
                        limits.max_lag_blocks)};
  return {true, fmt::format("caught up within {} blocks: indexed to height {} of final height {}",
                            limits.max_lag_blocks, status.indexed_height, status.chain_final_height)};
}

json session_to_json(const StoredSession& session) {
  const SessionAnchor& a = session.anchor;
  return json{{"session_id", to_hex(a.session_id)},
              {"owner", to_hex(a.owner)},
              {"manifest_hash", to_hex(a.manifest_hash)},
              {"merkle_root", to_hex(a.merkle_root)},
              {"chunk_count", a.chunk_count},
              {"started_at", a.started_at},
              {"height", a.height},
              {"transaction", to_hex(a.transaction)},
              {"chunk_anchors", session.chunk_anchors}};
}

json status_to_json(const IndexerStatus& status, const HealthLimits& limits,
                    std::chrono::steady_clock::time_point now) {
  const CatchUp verdict = judge_catch_up(status, limits, now);
  json last_poll = nullptr;
  if (status.last_success)
    last_poll = std::chrono::duration_cast<std::chrono::milliseconds>(now - *status.last_success).count();
  return json{{"chain_id", status.chain_id},
              {"indexed_height", status.indexed_height},
              {"chain_final_height", status.chain_final_height},
              {"lag_blocks", status.lag_blocks()},
              {"sessions", status.sessions},
              {"chunk_anchors", status.chunk_anchors},
              {"last_poll_ms_ago", last_poll},
              {"last_error", status.last_error},
              {"core", status.core},
              {"caught_up", verdict.caught_up},
              {"reason", verdict.reason},
              {"max_lag_blocks", limits.max_lag_blocks},
              {"max_poll_age_s", limits.max_poll_age.count()}};
}

http::Response SessionsApi::handle(const http::Request& request) const {
  if (request.method != "GET") return error_response(405, "only GET here");
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/health") return health();
  if (path == "/metrics") return metrics();
  if (path == "/v1/status") return status();
  if (path == "/v1/sessions") return sessions(request);
  if (path.starts_with("/v1/sessions/")) return session(path.substr(13));
  return error_response(404,
                        "no such endpoint (docs/formats.md \"the API of lucid-blockchain-sessions-data\")");
}

http::Response SessionsApi::session(const std::string& id_text) const {
  auto id = parse_session_id(id_text);
  if (!id) return error_response(400, "expected /v1/sessions/<session id: 32 hex digits or the UUID>");
  auto found = store_.session(*id);
  if (!found) return error_response(503, found.error().message);
  if (!*found)
    return error_response(404, fmt::format("session {} is not anchored up to height {} (the height indexed)",
                                           to_hex(*id), indexer_.status().indexed_height));
  return json_response(200, session_to_json(**found));
}

http::Response SessionsApi::sessions(const http::Request& request) const {
  auto query = parse_query(request);
  if (!query) return error_response(400, query.error().message);
  auto page = store_.sessions(*query);
  if (!page) return error_response(503, page.error().message);
  auto list = json::array();
  for (const StoredSession& s : page->sessions) list.push_back(session_to_json(s));
  return json_response(200, json{{"sessions", list},
                                 {"next", page->next ? json(cursor_to_text(*page->next)) : json(nullptr)}});
}

http::Response SessionsApi::status() const {
  return json_response(200, status_to_json(indexer_.status(), limits_, std::chrono::steady_clock::now()));
}

http::Response SessionsApi::health() const {
  const IndexerStatus now = indexer_.status();
  const CatchUp verdict = judge_catch_up(now, limits_, std::chrono::steady_clock::now());
  json body{{"indexed_height", now.indexed_height},
            {"chain_final_height", now.chain_final_height},
            {"lag_blocks", now.lag_blocks()}};
  if (!verdict.caught_up) {
    body["error"] = verdict.reason;
    return json_response(503, body);
  }
  body["ok"] = true;
  body["status"] = verdict.reason;
  return json_response(200, body);
}

http::Response SessionsApi::metrics() const {
  const IndexerStatus now = indexer_.status();
  PrometheusWriter out;
  out.single("lucid_sessions_data_indexed_height", "gauge", "Every height up to this one is indexed.",
             now.indexed_height);
  out.single("lucid_sessions_data_chain_final_height", "gauge",
             "blockchain-core's final height at the last poll that reached it.", now.chain_final_height);
  out.single("lucid_sessions_data_lag_blocks", "gauge", "Final heights not indexed yet.", now.lag_blocks());
  out.single("lucid_sessions_data_sessions", "gauge", "Sessions indexed.", now.sessions);
  out.single("lucid_sessions_data_chunk_anchors", "gauge", "Chunk leaf hashes anchored, over every session.",
             now.chunk_anchors);
  out.single("lucid_sessions_data_caught_up", "gauge", "1 while /health answers 200.",
             judge_catch_up(now, limits_, std::chrono::steady_clock::now()).caught_up);
  out.single("lucid_sessions_data_polls_total", "counter", "Polls of blockchain-core.", now.polls);
  out.single("lucid_sessions_data_poll_errors_total", "counter", "Polls that failed on every core.",
             now.poll_errors);
  return {200, "text/plain; version=0.0.4", out.take()};
}

}  // namespace lucid::chain_index
