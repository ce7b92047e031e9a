#include "lucid/chain/governances_api.h"

#include <fmt/format.h>

#include "lucid/base/number.h"
#include "lucid/base/prometheus.h"
#include "lucid/chain/abi_type.h"
#include "lucid/chain/abi_value.h"

namespace lucid::chain {

namespace {

using nlohmann::json;

http::Response json_response(int status, const json& body) {
  return {status, "application/json", body.dump() + "\n"};
}

http::Response error_response(int status, const std::string& message) {
  return json_response(status, json{{"error", message}});
}

json parameter_names() {
  auto names = json::array();
  for (const ParamSpec& spec : param_specs()) names.push_back(spec.name);
  return names;
}

// A query parameter parsed as an unsigned number within [min, max]; `fallback` when absent.
Result<std::uint64_t> number_param(const http::Request& request, const std::string& name,
                                   std::uint64_t fallback, std::uint64_t min, std::uint64_t max) {
  auto text = http::query_param(request.target, name);
  if (!text) return std::unexpected(text.error());
  if (text->empty()) return fallback;
  return parse_number_in<std::uint64_t>(*text, min, max, name);
}

std::uint64_t count_executable(const std::vector<ProposalEntry>& approved, std::uint64_t height) {
  std::uint64_t executable = 0;
  for (const ProposalEntry& entry : approved) executable += executable_at(entry.proposal, height) ? 1 : 0;
  return executable;
}

}  // namespace

http::Response check_proposal(std::string_view body) {
  auto request = json::parse(body, nullptr, false);
  if (!request.is_object())
    return error_response(400,
                          R"(the body is not a JSON object: send {"parameter": name, "value": integer})");
  for (const auto& item : request.items())
    if (item.key() != "parameter" && item.key() != "value")
      return error_response(400,
                            fmt::format("unknown member {:?}: only \"parameter\" and \"value\"", item.key()));
  if (!request.contains("parameter") || !request["parameter"].is_string())
    return error_response(400, "\"parameter\" (a parameter's name, a string) is required");
  if (!request.contains("value"))
    return error_response(400, "\"value\" (an integer or a decimal string) is required");
  const std::string name = request["parameter"].get<std::string>();
  const json& given = request["value"];
  // uint256's JSON form reads a negative as its two's complement; a proposal's value is never one.
  if ((given.is_number_integer() && !given.is_number_unsigned()) ||
      (given.is_string() && given.get_ref<const std::string&>().starts_with('-')))
    return error_response(400, "\"value\" must not be negative");
  static const AbiType kUint256 = parse_abi_type("uint256").value();
  auto value = value_from_json(kUint256, given);
  if (!value) return error_response(400, fmt::format("\"value\": {}", value.error().message));
  auto param = parse_param(name);
  if (!param)
    return json_response(422, json{{"ok", false},
                                   {"error", fmt::format("proposal refused: no parameter named {:?}", name)},
                                   {"parameters", parameter_names()}});
  const ParamSpec& spec = param_spec(*param);
  // The contract's own check at submission, on the same uint256 word.
  auto checked = check_param_value(*param, std::get<AbiWord>(value->value));
  if (!checked)
    return json_response(422, json{{"ok", false},
                                   {"parameter", spec.name},
                                   {"error", fmt::format("proposal refused: {}", checked.error().message)},
                                   {"min", spec.min},
                                   {"max", spec.max}});
  return json_response(
      200,
      json{
          {"ok", true}, {"parameter", spec.name}, {"value", *checked}, {"min", spec.min}, {"max", spec.max}});
}

TimelockHealth timelock_health(const ValidatorStatus& chain, const std::vector<ProposalEntry>& approved,
                               std::uint64_t final_height, std::uint64_t grace_blocks) {
  TimelockHealth health;
  if (chain.halted) {
    health.ok = false;
    health.error = fmt::format("the observer halted on an incident: {}",
                               chain.incidents.empty() ? std::string("?") : chain.incidents.back().detail);
    return health;
  }
  if (!chain.connected) {
    health.ok = false;
    health.error = fmt::format("the observer is not connected to etcd: {}",
                               chain.last_error.empty() ? std::string("not yet") : chain.last_error);
    return health;
  }
  for (const auto& [id, proposal] : approved) {
    if (!executable_at(proposal, final_height)) continue;
    const std::uint64_t waited = final_height - proposal.earliest_execution_height;
    if (waited <= grace_blocks) continue;
    if (health.overdue.empty())
      health.error = fmt::format(
          "proposal {} ({} = {}) has been executable since height {}, {} final blocks ago (grace {}), and is "
          "not executed: is the executor stuck or without a key? (see /v1/status)",
          id, to_string(proposal.param), proposal.value, proposal.earliest_execution_height, waited,
          grace_blocks);
    health.ok = false;
    health.overdue.push_back(id);
  }
  return health;
}

http::Response GovernancesApi::handle(const http::Request& request) const {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/v1/proposals/check") {
    if (request.method != "POST") return error_response(405, "POST {\"parameter\", \"value\"} here");
    return check_proposal(request.body);
  }
  if (request.method != "GET")
    return error_response(405, "only GET here (POST /v1/proposals/check checks a value)");
  if (path == "/health") return health();
  if (path == "/metrics") return metrics();
  if (path == "/v1/status") return status();
  if (path == "/v1/params") return params();
  if (path == "/v1/proposals") return proposals(request);
  if (path.starts_with("/v1/proposals/")) return proposal(path.substr(14));
  if (path == "/v1/timelock") return timelock();
  return error_response(404,
                        "no such endpoint (docs/formats.md \"the API of lucid-blockchain-governances\")");
}

GovernancesApi::Snapshot GovernancesApi::snapshot() const {
  Snapshot snapshot;
  snapshot.chain = observer_.status();
  observer_.read([&snapshot](const Ledger& ledger) {
    snapshot.final_height = ledger.final_height();
    snapshot.tally = tally_proposals(ledger.final_state());
  });
  return snapshot;
}

TimelockHealth GovernancesApi::health_of(const Snapshot& snapshot) const {
  if (!snapshot.tally) return TimelockHealth{false, snapshot.tally.error().message, {}};
  return timelock_health(snapshot.chain, snapshot.tally->approved, snapshot.final_height, grace_blocks_);
}

http::Response GovernancesApi::params() const {
  return observer_.read([](const Ledger& ledger) {
    auto rows = read_params(ledger.final_state());
    if (!rows) return error_response(500, rows.error().message);
    auto out = json::array();
    for (const ParamRow& row : *rows) out.push_back(param_row_to_json(row));
    return json_response(200, json{{"height", ledger.final_height()}, {"params", out}});
  });
}

http::Response GovernancesApi::proposals(const http::Request& request) const {
  auto status_text = http::query_param(request.target, "status");
  if (!status_text) return error_response(400, status_text.error().message);
  std::optional<ProposalStatus> status;
  if (!status_text->empty()) {
    status = parse_proposal_status(*status_text);
    if (!status)
      return error_response(
          400, fmt::format("status={:?}: expected pending, approved, rejected or executed", *status_text));
  }
  auto after = number_param(request, "after", 0, 0, UINT64_MAX);
  if (!after) return error_response(400, after.error().message);
  auto limit = number_param(request, "limit", kDefaultProposalsPerPage, 1, kMaxProposalsPerPage);
  if (!limit) return error_response(400, limit.error().message);
  return observer_.read([&](const Ledger& ledger) {
    const std::uint64_t height = ledger.final_height();
    auto page = list_proposals(ledger.final_state(), status, *after, *limit);
    if (!page) return error_response(500, page.error().message);
    auto out = json::array();
    for (const ProposalEntry& entry : page->proposals) out.push_back(proposal_to_json(entry, height));
    json next = nullptr;
    if (page->next_after) next = *page->next_after;
    return json_response(
        200, json{{"height", height}, {"count", page->count}, {"proposals", out}, {"next_after", next}});
  });
}

http::Response GovernancesApi::proposal(const std::string& id_text) const {
  auto id = parse_number_in<std::uint64_t>(id_text, 1, UINT64_MAX, "proposal id");
  if (!id)
    return error_response(400, fmt::format("expected /v1/proposals/<id from 1>: {}", id.error().message));
  auto answer = observer_.read([&](const Ledger& ledger) -> Result<json> {
    auto found = read_proposal(ledger.final_state(), *id);
    if (!found) return std::unexpected(found.error());
    return proposal_to_json(ProposalEntry{*id, *found}, ledger.final_height());
  });
  if (!answer) {
    if (answer.error().kind == ErrorKind::kNotFound)
      return error_response(404, fmt::format("no proposal {} at the final height", *id));
    return error_response(500, answer.error().message);
  }
  json body = std::move(*answer);
  body["last_execution_error"] = nullptr;
  if (auto failed = executor_.failure(*id))
    body["last_execution_error"] = json{{"error", failed->error}, {"height", failed->height}};
  return json_response(200, body);
}

http::Response GovernancesApi::timelock() const {
  return observer_.read([](const Ledger& ledger) {
    auto tally = tally_proposals(ledger.final_state());
    if (!tally) return error_response(500, tally.error().message);
    auto timelock_blocks = param_value(ledger.final_state(), Param::kTimelockBlocks);
    if (!timelock_blocks) return error_response(500, timelock_blocks.error().message);
    json body = timelock_to_json(tally->approved, ledger.final_height());
    body["timelock_blocks"] = *timelock_blocks;
    return json_response(200, body);
  });
}

http::Response GovernancesApi::status() const {
  const Snapshot now = snapshot();
  const TimelockHealth health = health_of(now);
  json timelock{{"grace_blocks", grace_blocks_}, {"overdue", health.overdue}};
  if (now.tally) {
    const std::uint64_t executable = count_executable(now.tally->approved, now.final_height);
    timelock["waiting"] = now.tally->approved.size() - executable;
    timelock["executable"] = executable;
  }
  return json_response(200, json{{"service", "blockchain-governances"},
                                 {"chain_id", now.chain.chain_id},
                                 {"height", now.chain.height},
                                 {"final_height", now.final_height},
                                 {"observer", validator_status_to_json(now.chain)},
                                 {"executor", executor_status_to_json(executor_.status())},
                                 {"timelock", timelock},
                                 {"healthy", health.ok},
                                 {"health_error", health.error}});
}

http::Response GovernancesApi::health() const {
  const Snapshot now = snapshot();
  const TimelockHealth health = health_of(now);
  json body{{"ok", health.ok},
            {"height", now.chain.height},
            {"final_height", now.final_height},
            {"connected", now.chain.connected},
            {"halted", now.chain.halted},
            {"executor", executor_.status().enabled ? "executor" : "read-only"}};
  if (health.ok) return json_response(200, body);
  body["error"] = health.error;
  body["overdue"] = health.overdue;
  return json_response(503, body);
}

http::Response GovernancesApi::metrics() const {
  const Snapshot now = snapshot();
  const ExecutorStatus executor = executor_.status();
  PrometheusWriter out;
  out.single("lucid_governances_height", "gauge", "Height of the last block the observer executed.",
             now.chain.height);
  out.single("lucid_governances_final_height", "gauge", "The final height the views are read at.",
             now.final_height);
  out.single("lucid_governances_observer_connected", "gauge",
             "1 when the observer's last exchange with etcd succeeded.", now.chain.connected);
  out.single("lucid_governances_observer_halted", "gauge", "1 when the observer halted on an incident.",
             now.chain.halted);
  if (now.tally) {
    out.family("lucid_governances_proposals", "gauge", "Proposals at the final height by status.");
    for (ProposalStatus status : {ProposalStatus::kPending, ProposalStatus::kApproved,
                                  ProposalStatus::kExecuted, ProposalStatus::kRejected})
      out.sample("lucid_governances_proposals", {{"status", to_string(status)}},
                 now.tally->by_status[static_cast<std::size_t>(status)]);
    out.single("lucid_governances_executable", "gauge",
               "Approved proposals past their timelock, not executed.",
               count_executable(now.tally->approved, now.final_height));
    out.single("lucid_governances_overdue", "gauge",
               "Proposals executable for longer than the grace blocks (health fails).",
               health_of(now).overdue.size());
  }
  out.single("lucid_governances_executor_enabled", "gauge",
             "1 when the executor has a key, 0 when read-only.", executor.enabled);
  out.single("lucid_governances_execution_in_flight", "gauge",
             "1 while an execute transaction awaits its receipt.", executor.in_flight.has_value());
  out.single("lucid_governances_executions_submitted_total", "counter", "Execute transactions sent.",
             executor.submitted);
  out.single("lucid_governances_executions_succeeded_total", "counter",
             "Execute transactions that succeeded.", executor.executed);
  out.single("lucid_governances_executions_reverted_total", "counter", "Execute transactions that reverted.",
             executor.reverted);
  out.single("lucid_governances_executions_lost_total", "counter",
             "Execute transactions never included (their nonce went to another transaction).", executor.lost);
  return {200, "text/plain; version=0.0.4", out.take()};
}

}  // namespace lucid::chain
