#include "lucid/chain_index/anchor_event.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/contract_abi.h"
#include "lucid/chain/signed_document.h"

namespace lucid::chain_index {

namespace {

using nlohmann::json;

constexpr std::string_view kContract = "AnchorRegistry";
// A log's data in hex: ChunksAnchored with the most leaf hashes one call carries is ~64 KiB of hex.
constexpr std::size_t kMaxEventString = std::size_t{1} << 20;

// The low 64 bits of an unsigned ABI word (the decoder already checked the type's range).
std::uint64_t word_value(const chain::AbiValue& value) {
  const auto& word = std::get<chain::AbiWord>(value.value);
  std::uint64_t out = 0;
  for (std::size_t i = word.size() - 8; i < word.size(); ++i) out = (out << 8) | word[i];
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_bytes(const chain::AbiValue& value) {
  const auto& bytes = std::get<std::vector<std::uint8_t>>(value.value);
  std::array<std::uint8_t, N> out{};
  std::copy_n(bytes.begin(), N, out.begin());
  return out;
}

// The topics and data as a log, each topic 64 hex digits.
Result<chain::EventLog> read_log(JsonFields& fields) {
  chain::EventLog log;
  auto topics = fields.get("topics", json::value_t::array);
  if (!topics) return std::unexpected(topics.error());
  if ((*topics)->size() > 4) return std::unexpected(fields.error("topics", "more than 4 topics"));
  for (std::size_t i = 0; i < (*topics)->size(); ++i) {
    const json& topic = (**topics)[i];
    chain::Keccak256 word{};
    if (!topic.is_string() || !from_hex_into(topic.get_ref<const std::string&>(), word))
      return std::unexpected(fields.error(fmt::format("topics[{}]", i), "expected 64 hex digits"));
    log.topics.push_back(word);
  }
  auto data = fields.string("data");
  if (!data) return std::unexpected(data.error());
  auto bytes = from_hex(*data);
  if (!bytes) return std::unexpected(fields.error("data", bytes.error().message));
  log.data = std::move(*bytes);
  return log;
}

Result<AnchorEvent> parse_fields(JsonFields& fields, std::uint64_t height) {
  auto contract = fields.string("contract");
  if (!contract) return std::unexpected(contract.error());
  if (*contract != kContract)
    return std::unexpected(
        fields.error("contract", fmt::format("{:?} where {} was asked for", *contract, kContract)));
  auto name = fields.string("event");
  if (!name) return std::unexpected(name.error());
  const chain::ContractAbi& abi = chain::embedded_abi(kContract);
  const chain::AbiEvent* abi_event = abi.event(*name);
  if (abi_event == nullptr || (*name != "Anchored" && *name != "ChunksAnchored"))
    return std::unexpected(
        fields.error("event", fmt::format("{:?} is not an event this indexer reads", *name)));
  auto log = read_log(fields);
  if (!log) return std::unexpected(log.error());
  auto values = chain::decode_event(*abi_event, *log);
  if (!values) return std::unexpected(fields.error("topics/data", values.error().message));
  // The arguments core decoded must be what its own topics and data say.
  auto arguments = fields.get("arguments", json::value_t::object);
  if (!arguments) return std::unexpected(arguments.error());
  json expected = json::object();
  for (std::size_t i = 0; i < abi_event->inputs.size(); ++i)
    expected[abi_event->inputs[i].name] = chain::value_to_json(abi_event->inputs[i].type, (*values)[i]);
  if (**arguments != expected)
    return std::unexpected(fields.error("arguments", "differ from the log's topics and data"));
  auto transaction = fields.hex_bytes<32>("transaction");
  if (!transaction) return std::unexpected(transaction.error());
  auto final = fields.get("final", json::value_t::boolean);
  if (!final) return std::unexpected(final.error());
  if (!(*final)->get<bool>())
    return std::unexpected(fields.error("final", "false at or below the final height core reported"));
  if (auto unknown = fields.no_unknown_fields(); !unknown) return std::unexpected(unknown.error());

  const std::vector<chain::AbiValue>& v = *values;
  if (*name == "Anchored") {
    SessionAnchor anchor;
    anchor.session_id = fixed_bytes<16>(v[0]);
    anchor.owner = fixed_bytes<32>(v[1]);
    anchor.manifest_hash = fixed_bytes<32>(v[2]);
    anchor.merkle_root = fixed_bytes<32>(v[3]);
    anchor.chunk_count = static_cast<std::uint32_t>(word_value(v[4]));
    anchor.started_at = word_value(v[5]);
    anchor.height = height;
    anchor.transaction = *transaction;
    return anchor;
  }
  ChunkAnchor chunks;
  chunks.session_id = fixed_bytes<16>(v[0]);
  chunks.first_index = static_cast<std::uint32_t>(word_value(v[1]));
  chunks.leaves = static_cast<std::uint32_t>(std::get<std::vector<chain::AbiValue>>(v[2].value).size());
  if (chunks.leaves == 0) return std::unexpected(fields.error("arguments.leafHashes", "empty"));
  chunks.height = height;
  chunks.transaction = *transaction;
  return chunks;
}

}  // namespace

std::uint64_t event_height(const AnchorEvent& event) {
  return std::visit([](const auto& e) { return e.height; }, event);
}

Result<AnchorEvent> parse_anchor_event(const json& event, std::size_t position) {
  const std::string where = fmt::format("events[{}]", position);
  if (auto object = chain::require_object(event, where); !object) return std::unexpected(object.error());
  JsonFields fields(event, where, kMaxEventString);
  auto height = chain::read_document_integer(fields, "height");
  if (!height) return std::unexpected(height.error());
  if (*height == 0) return std::unexpected(fields.error("height", "0 (blocks start at height 1)"));
  auto parsed = parse_fields(fields, *height);
  if (!parsed)
    return std::unexpected(with_context(fmt::format("event at height {}", *height), parsed.error()));
  return parsed;
}

Result<EventsPage> parse_events_page(const json& answer, std::uint64_t from, std::uint64_t to) {
  if (auto object = chain::require_object(answer, "events answer"); !object)
    return std::unexpected(object.error());
  JsonFields fields(answer, "", kMaxEventString);
  EventsPage page;
  LUCID_TRY_ASSIGN(page.from, fields.uint("from"));
  LUCID_TRY_ASSIGN(page.to, fields.uint("to"));
  if (page.from != from || page.to != to)
    return fail(ErrorKind::kCorrupt, fmt::format("core answered heights {}..{} when asked for {}..{}",
                                                 page.from, page.to, from, to));
  auto truncated = fields.get("truncated", json::value_t::boolean);
  if (!truncated) return std::unexpected(truncated.error());
  page.truncated = (*truncated)->get<bool>();
  auto events = fields.get("events", json::value_t::array);
  if (!events) return std::unexpected(events.error());
  if (auto unknown = fields.no_unknown_fields(); !unknown) return std::unexpected(unknown.error());
  std::uint64_t previous = from;
  for (std::size_t i = 0; i < (*events)->size(); ++i) {
    auto event = parse_anchor_event((**events)[i], i);
    if (!event) return std::unexpected(event.error());
    const std::uint64_t height = event_height(*event);
    if (height < previous || height > to)
      return fail(ErrorKind::kCorrupt,
                  fmt::format("event at height {}: out of order or outside {}..{} (the one before is at {})",
                              height, from, to, previous));
    previous = height;
    page.events.push_back(*event);
  }
  if (page.truncated && page.events.empty())
    return fail(ErrorKind::kCorrupt,
                fmt::format("core marked heights {}..{} truncated with no event", from, to));
  return page;
}

}  // namespace lucid::chain_index
