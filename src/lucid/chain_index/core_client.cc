#include "lucid/chain_index/core_client.h"

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/base/http_client.h"
#include "lucid/base/json_fields.h"
#include "lucid/chain/block.h"

namespace lucid::chain_index {

namespace {

using nlohmann::json;

// Answers are bounded before they are parsed. A status lists core's incidents; a block holds at most
// 1 MiB of transactions (twice that in hex); an events answer holds at most 1,000 events, the largest
// (ChunksAnchored with 1,024 leaf hashes) ~140 KiB each in JSON.
constexpr std::size_t kMaxStatusBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxBlockBytes = std::size_t{8} << 20;
constexpr std::size_t kMaxEventsBytes = std::size_t{192} << 20;

std::string without_trailing_slash(std::string url) {
  while (url.ends_with('/')) url.pop_back();
  return url;
}

}  // namespace

CoreClient::CoreClient(std::string base_url, std::chrono::milliseconds timeout)
    : base_url_(without_trailing_slash(std::move(base_url))), timeout_(timeout) {}

Result<json> CoreClient::get_json(const std::string& path, std::size_t max_bytes) const {
  HttpOptions options;
  options.timeout = timeout_;
  options.max_body_bytes = max_bytes;
  const std::string where = fmt::format("blockchain-core {}: GET {}", base_url_, path);
  auto response = http_get(base_url_ + path, options);
  if (!response) return std::unexpected(with_context(where, response.error()));
  if (response->status != 200)
    return fail(ErrorKind::kIo,
                fmt::format("{}: HTTP {}: {}", where, response->status, response->body.substr(0, 300)));
  auto body = json::parse(response->body, nullptr, false);
  if (body.is_discarded()) return fail(ErrorKind::kCorrupt, fmt::format("{}: the answer is not JSON", where));
  return body;
}

Result<CoreStatus> CoreClient::status() const {
  auto body = get_json("/v1/status", kMaxStatusBytes);
  if (!body) return std::unexpected(body.error());
  const auto chain_id = body->find("chain_id");
  const auto final_height = body->find("final_height");
  if (!body->is_object() || chain_id == body->end() || !chain_id->is_string() ||
      !chain::valid_chain_id(chain_id->get_ref<const std::string&>()) || final_height == body->end() ||
      !final_height->is_number_unsigned())
    return fail(ErrorKind::kCorrupt,
                fmt::format("blockchain-core {}: GET /v1/status: no valid \"chain_id\" and \"final_height\"",
                            base_url_));
  return CoreStatus{chain_id->get<std::string>(), final_height->get<std::uint64_t>()};
}

Result<std::string> CoreClient::genesis_hash(const std::string& chain_id) const {
  auto body = get_json("/v1/blocks/1", kMaxBlockBytes);
  if (!body) return std::unexpected(body.error());
  const std::string where = fmt::format("blockchain-core {}: GET /v1/blocks/1", base_url_);
  if (!body->is_object() || !body->contains("block"))
    return fail(ErrorKind::kCorrupt, fmt::format("{}: no \"block\"", where));
  auto block = chain::parse_block((*body)["block"]);
  if (!block) return std::unexpected(with_context(where, block.error()));
  if (block->header.height != 1 || block->header.chain_id != chain_id)
    return fail(ErrorKind::kCorrupt,
                fmt::format("{}: block {} of chain {:?} where block 1 of {:?} was expected", where,
                            block->header.height, block->header.chain_id, chain_id));
  return to_hex(block->header.previous);
}

Result<EventsPage> CoreClient::anchor_events(std::uint64_t from, std::uint64_t to) const {
  const std::string path = fmt::format("/v1/events?contract=AnchorRegistry&from={}&to={}", from, to);
  auto body = get_json(path, kMaxEventsBytes);
  if (!body) return std::unexpected(body.error());
  auto page = parse_events_page(*body, from, to);
  if (!page)
    return std::unexpected(
        with_context(fmt::format("blockchain-core {}: GET {}", base_url_, path), page.error()));
  return page;
}

}  // namespace lucid::chain_index
