#include "lucid/chain/core_api.h"

#include <charconv>

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/base/prometheus.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"

namespace lucid::chain {

namespace {

using nlohmann::json;

using http::error_response;
using http::json_response;

int status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kCorrupt:
      return 400;
    case ErrorKind::kAuthentication:
      return 401;
    case ErrorKind::kAlreadyExists:
      return 409;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kIo:
    case ErrorKind::kInternal:
      return 503;
  }
  return 500;
}

std::optional<std::uint64_t> parse_height(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// A query parameter that must be a height when present.
Result<std::optional<std::uint64_t>> height_param(const http::Request& request, const std::string& name) {
  auto text = http::query_param(request.target, name);
  if (!text) return std::unexpected(text.error());
  if (text->empty()) return std::optional<std::uint64_t>{};
  auto height = parse_height(*text);
  if (!height) return fail(ErrorKind::kInvalidArgument, fmt::format("{}={:?} is not a height", name, *text));
  return height;
}

json votes_to_json(const ExecutedBlock& executed) {
  auto votes = json::array();
  for (const auto& [signer, vote] : executed.votes) votes.push_back(vote_to_json(vote));
  return votes;
}

json block_summary(const ExecutedBlock& executed) {
  return json{{"height", executed.block.header.height},
              {"hash", to_hex(executed.hash)},
              {"state_root", to_hex(executed.state_root)},
              {"final", executed.final}};
}

// A log with its event's name and arguments decoded when its contract's ABI knows the event.
json log_to_json(const Vm& vm, const LogEntry& entry) {
  auto topics = json::array();
  for (const auto& topic : entry.log.topics) topics.push_back(to_hex(topic));
  json log{{"contract", entry.contract}, {"topics", topics}, {"data", to_hex(entry.log.data)}};
  const Contract* contract = vm.contract(entry.contract);
  const AbiEvent* event = contract == nullptr || entry.log.topics.empty()
                              ? nullptr
                              : contract->abi().event(entry.log.topics.front());
  if (event == nullptr) return log;
  auto values = decode_event(*event, entry.log);
  if (!values) return log;
  json arguments = json::object();
  for (std::size_t i = 0; i < event->inputs.size(); ++i)
    arguments[event->inputs[i].name] = value_to_json(event->inputs[i].type, (*values)[i]);
  log["event"] = event->name;
  log["arguments"] = arguments;
  return log;
}

}  // namespace

json CoreApi::receipt_to_json(const Vm& vm, const Receipt& receipt) {
  auto logs = json::array();
  for (const LogEntry& entry : receipt.logs) logs.push_back(log_to_json(vm, entry));
  return json{{"transaction", to_hex(receipt.transaction)},
              {"success", receipt.success},
              {"error", receipt.error},
              {"gas_used", receipt.gas_used},
              {"output", to_hex(receipt.output)},
              {"logs", logs}};
}

json CoreApi::block_document(const ExecutedBlock& executed) {
  json body = block_summary(executed);
  body["block"] = block_to_json(executed.block);
  body["votes"] = votes_to_json(executed);
  return body;
}

http::Response CoreApi::handle(const http::Request& request) const {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/v1/transactions") {
    if (request.method != "POST") return error_response(405, "POST a signed transaction here");
    return submit(request);
  }
  if (request.method != "GET") return error_response(405, "only GET here (POST /v1/transactions submits)");
  if (path == "/health") return health();
  if (path == "/metrics") return metrics();
  if (path == "/v1/status") return json_response(200, validator_status_to_json(validator_.status()));
  if (path.starts_with("/v1/blocks/")) return block(path.substr(11));
  if (path.starts_with("/v1/transactions/")) return transaction(path.substr(17));
  if (path == "/v1/events") return events(request);
  if (path.starts_with("/v1/anchors/")) return anchor(path.substr(12));
  return error_response(404, "no such endpoint (docs/chain.md \"APIs\" lists them)");
}

http::Response CoreApi::submit(const http::Request& request) const {
  auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded())
    return error_response(400, "the body is not JSON: send a transaction (docs/formats.md)");
  auto tx = parse_transaction(body);
  if (!tx) return error_response(400, tx.error().message);
  auto hash = validator_.submit(*tx);
  if (!hash) return error_response(status_for(hash.error().kind), hash.error().message);
  return json_response(202, json{{"transaction", to_hex(*hash)}, {"status", "queued"}});
}

http::Response CoreApi::block(const std::string& which) const {
  return validator_.read([&](const Ledger& ledger) {
    std::optional<std::uint64_t> height = which == "head" ? ledger.height() : parse_height(which);
    if (!height) return error_response(400, "expected /v1/blocks/<height> or /v1/blocks/head");
    const ExecutedBlock* executed = ledger.block(*height);
    if (executed == nullptr)
      return error_response(404, fmt::format("no block at height {} (head is {})", *height, ledger.height()));
    return json_response(200, block_document(*executed));
  });
}

http::Response CoreApi::transaction(const std::string& hash_hex) const {
  Hash hash{};
  if (!from_hex_into(hash_hex, hash)) return error_response(400, "expected /v1/transactions/<64 hex digits>");
  return validator_.read([&](const Ledger& ledger) {
    auto location = ledger.find_transaction(hash);
    if (!location)
      return error_response(
          404, "not in an executed block (it may still be queued: ask again after the next block)");
    const ExecutedBlock& executed = *ledger.block(location->height);
    json body = block_summary(executed);
    body["index"] = location->index;
    body["receipt"] = receipt_to_json(ledger.vm(), executed.receipts[location->index]);
    return json_response(200, body);
  });
}

http::Response CoreApi::events(const http::Request& request) const {
  auto contract_name = http::query_param(request.target, "contract");
  auto event_name = http::query_param(request.target, "event");
  auto from = height_param(request, "from");
  auto to = height_param(request, "to");
  auto topic1 = http::query_param(request.target, "topic1");
  for (const auto* bad : {&contract_name, &event_name, &topic1})
    if (!*bad) return error_response(400, bad->error().message);
  if (!from) return error_response(400, from.error().message);
  if (!to) return error_response(400, to.error().message);
  std::optional<Keccak256> first_indexed;
  if (!topic1->empty()) {
    Keccak256 topic{};
    if (!from_hex_into(*topic1, topic)) return error_response(400, "topic1 must be 64 hex digits");
    first_indexed = topic;
  }
  return validator_.read([&](const Ledger& ledger) {
    const Contract* contract = contract_name->empty() ? nullptr : ledger.vm().contract(*contract_name);
    if (!contract_name->empty() && contract == nullptr)
      return error_response(404, fmt::format("no contract {:?}", *contract_name));
    const AbiEvent* event = nullptr;
    if (!event_name->empty()) {
      if (contract == nullptr) return error_response(400, "event= needs contract=");
      event = contract->abi().event(*event_name);
      if (event == nullptr)
        return error_response(404, fmt::format("{} has no event {:?}", *contract_name, *event_name));
    }
    const std::uint64_t last = std::min(to->value_or(ledger.height()), ledger.height());
    const std::uint64_t first =
        from->value_or(last >= kMaxEventBlockRange ? last - kMaxEventBlockRange + 1 : 1);
    if (first > last + 1 || last + 1 - first > kMaxEventBlockRange)
      return error_response(
          400, fmt::format("from..to spans more than {} blocks: ask in parts", kMaxEventBlockRange));
    auto found = json::array();
    bool truncated = false;
    for (std::uint64_t height = std::max(first, ledger.base_height() + 1); height <= last && !truncated;
         ++height) {
      const ExecutedBlock& executed = *ledger.block(height);
      for (std::size_t index = 0; index < executed.receipts.size() && !truncated; ++index) {
        const Receipt& receipt = executed.receipts[index];
        for (const LogEntry& entry : receipt.logs) {
          if (contract != nullptr && entry.contract != contract->abi().name) continue;
          if (event != nullptr && (entry.log.topics.empty() || entry.log.topics.front() != event->topic()))
            continue;
          if (first_indexed && (entry.log.topics.size() < 2 || entry.log.topics[1] != *first_indexed))
            continue;
          if (found.size() == kMaxEventResults) {
            truncated = true;
            break;
          }
          json one = log_to_json(ledger.vm(), entry);
          one["height"] = height;
          one["transaction"] = to_hex(receipt.transaction);
          one["final"] = executed.final;
          found.push_back(std::move(one));
        }
      }
    }
    return json_response(200,
                         json{{"from", first}, {"to", last}, {"events", found}, {"truncated", truncated}});
  });
}

http::Response CoreApi::anchor(const std::string& session_id_hex) const {
  std::array<std::uint8_t, 16> session_id{};
  if (!from_hex_into(session_id_hex, session_id))
    return error_response(400, "expected /v1/anchors/<session id: 32 hex digits>");
  const ContractAbi& abi = embedded_abi("AnchorRegistry");
  const AbiFunction& get_anchor = *abi.function("getAnchor");
  const AbiValue argument = AbiValue::bytes(Bytes(session_id.begin(), session_id.end()));
  auto calldata = encode_call(get_anchor, std::span(&argument, 1));
  if (!calldata) return error_response(500, calldata.error().message);
  return validator_.read([&](const Ledger& ledger) {
    // Proven against the state of the final height: what two thirds of the validators signed.
    const std::uint64_t height = ledger.final_height();
    const State& state = ledger.final_state();
    auto output = ledger.vm().view(state, "AnchorRegistry", *calldata, height);
    if (!output) {
      const bool pending =
          ledger.vm().view(ledger.state(), "AnchorRegistry", *calldata, ledger.height()).has_value();
      return error_response(
          404, pending ? fmt::format("anchored after the final height {}: ask again once final", height)
                       : fmt::format("session {} is not anchored", to_hex(session_id)));
    }
    std::vector<AbiType> types;
    for (const AbiParam& param : get_anchor.outputs) types.push_back(param.type);
    auto values = abi_decode(types, *output);
    if (!values) return error_response(500, values.error().message);
    json record = json::object();
    for (std::size_t i = 0; i < types.size(); ++i)
      record[get_anchor.outputs[i].name] = value_to_json(types[i], (*values)[i]);
    const std::string key = fmt::format("AnchorRegistry/{}", AnchorRegistry::anchor_key(session_id));
    auto proof = state.prove(key);
    if (!proof) return error_response(500, "the anchor's state entry is missing from its own state");
    auto path = json::array();
    for (const Hash& node : proof->path) path.push_back(to_hex(node));
    const ExecutedBlock* executed = ledger.block(height);
    if (executed == nullptr) return error_response(404, "no final block executed here yet");
    const auto& value = state.entries().find(key)->second;
    return json_response(
        200,
        json{{"session_id", to_hex(session_id)},
             {"anchor", record},
             {"height", height},
             {"block", to_hex(executed->hash)},
             {"state_root", to_hex(executed->state_root)},
             {"final", true},
             {"proof",
              json{{"key", to_hex(std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()))},
                   {"value", to_hex(value)},
                   {"index", proof->index},
                   {"size", proof->size},
                   {"path", path}}},
             {"votes", votes_to_json(*executed)}});
  });
}

http::Response CoreApi::health() const {
  const ValidatorStatus status = validator_.status();
  json body{{"height", status.height},
            {"final_height", status.final_height},
            {"connected", status.connected},
            {"halted", status.halted}};
  if (status.halted) {
    body["error"] = fmt::format("halted on an incident: {}",
                                status.incidents.empty() ? std::string("?") : status.incidents.back().detail);
    return json_response(503, body);
  }
  if (!status.connected) {
    body["error"] = fmt::format("etcd unreachable: {}", status.last_error);
    return json_response(503, body);
  }
  body["ok"] = true;
  return json_response(200, body);
}

http::Response CoreApi::metrics() const {
  const ValidatorStatus status = validator_.status();
  PrometheusWriter out;
  out.single("lucid_chain_height", "gauge", "Height of the last block this validator executed.",
             status.height);
  out.single("lucid_chain_final_height", "gauge", "Highest height up to which every block is final.",
             status.final_height);
  out.single("lucid_chain_proposer", "gauge", "1 while this validator holds the proposer lease.",
             status.proposer);
  out.single("lucid_chain_etcd_connected", "gauge", "1 when the last exchange with etcd succeeded.",
             status.connected);
  out.single("lucid_chain_halted", "gauge", "1 when this validator halted on an incident.", status.halted);
  out.single("lucid_chain_incidents", "gauge", "Incidents this validator has seen.", status.incidents.size());
  out.single("lucid_chain_blocks_proposed_total", "counter", "Blocks this validator ordered as proposer.",
             status.blocks_proposed);
  out.single("lucid_chain_transactions_executed_total", "counter", "Transactions executed.",
             status.transactions_executed);
  out.single("lucid_chain_gas_used_total", "counter", "Gas used by the executed transactions.",
             status.gas_used);
  return {200, "text/plain; version=0.0.4", out.take()};
}

}  // namespace lucid::chain
