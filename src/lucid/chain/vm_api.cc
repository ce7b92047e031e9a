#include "lucid/chain/vm_api.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/base/prometheus.h"
#include "lucid/chain/abi_self_test.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/core_api.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using http::error_response;
using http::json_response;

// Blocks whose gas one probe counts: enough to keep up with any block interval, bounded so that a
// service catching up a long chain never holds the observer's lock for long.
constexpr std::uint64_t kMaxBlocksPerProbe = 1000;

int status_for(const Error& error) {
  return error.kind == ErrorKind::kNotFound ? 404 : 400;
}

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

enum class StateAt { kFinal, kHead };

std::string_view to_string(StateAt at) {
  return at == StateAt::kFinal ? "final" : "head";
}

// The state a view call reads, with its height and root.
struct StateView {
  const State* state = nullptr;
  std::uint64_t height = 0;
  Hash root{};
};

StateView state_at(const Ledger& ledger, StateAt at) {
  if (at == StateAt::kHead) return {&ledger.state(), ledger.height(), ledger.head_state_root()};
  const ExecutedBlock* block = ledger.block(ledger.final_height());
  // No final block executed here (genesis): the root of the final state itself, empty at genesis.
  return {&ledger.final_state(), ledger.final_height(),
          block != nullptr ? block->state_root : ledger.final_state().root()};
}

// A call's contract and function as metric labels: names from the contracts' ABIs only.
struct Label {
  std::string contract;
  std::string function;
};

Label label_of(const Vm& vm, const std::string& contract_name, std::span<const std::uint8_t> calldata) {
  const Contract* contract = vm.contract(contract_name);
  if (contract == nullptr) return {std::string(kOtherLabel), std::string(kOtherLabel)};
  Selector selector{};
  const AbiFunction* function = nullptr;
  if (calldata.size() >= selector.size()) {
    std::copy_n(calldata.begin(), selector.size(), selector.begin());
    function = contract->abi().function(selector);
  }
  return {contract->abi().name, function != nullptr ? function->name : std::string(kOtherLabel)};
}

// The body of POST /v1/call, read strictly (docs/formats.md): a contract, and either a function by name
// with its arguments in the JSON form, or raw calldata.
struct CallRequest {
  std::string contract;
  std::optional<std::string> function;
  json arguments = json::array();
  Bytes data;
  StateAt at = StateAt::kFinal;
};

Result<CallRequest> parse_call(const std::string& body) {
  const json document = json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return fail(
        ErrorKind::kInvalidArgument,
        R"(the body is not a JSON object: send {"contract", "function", "arguments"} or {"contract", "data"})");
  JsonFields fields(document, "", 2 + 2 * kMaxCalldataBytes);
  CallRequest call;
  LUCID_TRY_ASSIGN(call.contract, fields.string("contract"));
  if (!valid_contract_name(call.contract))
    return std::unexpected(fields.error("contract", "must be 1-64 letters and digits"));
  if (document.contains("function")) LUCID_TRY_ASSIGN(call.function, fields.string("function"));
  if (document.contains("arguments")) {
    const json* arguments = nullptr;
    LUCID_TRY_ASSIGN(arguments, fields.get("arguments", json::value_t::array));
    call.arguments = *arguments;
  }
  if (document.contains("data")) {
    std::string data;
    LUCID_TRY_ASSIGN(data, fields.string("data"));
    if (!data.starts_with("0x"))
      return std::unexpected(fields.error("data", "must be \"0x\" followed by hex"));
    auto bytes = from_hex(std::string_view(data).substr(2));
    if (!bytes) return std::unexpected(fields.error("data", bytes.error().message));
    call.data = std::move(*bytes);
  }
  if (document.contains("at")) {
    std::string at;
    LUCID_TRY_ASSIGN(at, fields.string("at"));
    if (at != "final" && at != "head")
      return std::unexpected(fields.error("at", "must be \"final\" or \"head\""));
    call.at = at == "final" ? StateAt::kFinal : StateAt::kHead;
  }
  if (auto ok = fields.no_unknown_fields(); !ok) return std::unexpected(ok.error());
  if (call.function.has_value() == document.contains("data"))
    return fail(ErrorKind::kInvalidArgument, "give either \"function\" (with \"arguments\") or \"data\"");
  if (!call.function && document.contains("arguments"))
    return fail(ErrorKind::kInvalidArgument, "\"arguments\" go with \"function\", not with \"data\"");
  return call;
}

// The function a call names and its calldata. kNotFound for an unknown contract or function.
struct ResolvedCall {
  const Contract* contract = nullptr;
  const AbiFunction* function = nullptr;
  Bytes calldata;
};

Result<ResolvedCall> resolve(const Vm& vm, const CallRequest& call) {
  ResolvedCall resolved;
  resolved.contract = vm.contract(call.contract);
  if (resolved.contract == nullptr)
    return fail(ErrorKind::kNotFound,
                fmt::format("no contract {:?} (the VM executes AnchorRegistry, Governance, "
                            "ParamRegistry, PR0 and PRKYC)",
                            call.contract));
  const ContractAbi& abi = resolved.contract->abi();
  if (call.function) {
    resolved.function = abi.function(*call.function);
    if (resolved.function == nullptr)
      return fail(ErrorKind::kNotFound, fmt::format("{} has no function {:?}", abi.name, *call.function));
    const auto& inputs = resolved.function->inputs;
    if (call.arguments.size() != inputs.size())
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{} takes {} arguments, {} given", resolved.function->signature(),
                              inputs.size(), call.arguments.size()));
    std::vector<AbiValue> values;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto value = value_from_json(inputs[i].type, call.arguments[i]);
      if (!value)
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("arguments[{}] ({} {}): {}", i, inputs[i].type.canonical(), inputs[i].name,
                                value.error().message));
      values.push_back(std::move(*value));
    }
    LUCID_TRY_ASSIGN(resolved.calldata, encode_call(*resolved.function, values));
  } else {
    Selector selector{};
    if (call.data.size() < selector.size())
      return fail(ErrorKind::kInvalidArgument, "data is shorter than a 4-byte selector");
    std::copy_n(call.data.begin(), selector.size(), selector.begin());
    resolved.function = abi.function(selector);
    if (resolved.function == nullptr)
      return fail(ErrorKind::kNotFound,
                  fmt::format("{} has no function with selector 0x{}", abi.name, to_hex(selector)));
    if (auto arguments = decode_call(*resolved.function, call.data); !arguments)
      return fail(ErrorKind::kInvalidArgument, arguments.error().message);
    resolved.calldata = call.data;
  }
  if (resolved.function->state_mutability != "view" && resolved.function->state_mutability != "pure")
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("{}.{} changes state: send it as a transaction (POST /v1/estimate shows the receipt "
                    "it would have)",
                    abi.name, resolved.function->name));
  return resolved;
}

json outputs_json(const AbiFunction& function, const std::vector<AbiValue>& values) {
  json outputs = json::object();
  for (std::size_t i = 0; i < function.outputs.size(); ++i) {
    const AbiParam& output = function.outputs[i];
    outputs[output.name.empty() ? fmt::format("{}", i) : output.name] = value_to_json(output.type, values[i]);
  }
  return outputs;
}

}  // namespace

VmApi::~VmApi() {
  prober_.request_stop();
  if (prober_.joinable()) prober_.join();
}

http::Response VmApi::handle(const http::Request& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/v1/call" || path == "/v1/estimate") {
    if (request.method != "POST") return error_response(405, fmt::format("POST a JSON body to {}", path));
    return path == "/v1/call" ? call(request) : estimate(request);
  }
  if (request.method != "GET") return error_response(405, "only GET here (POST /v1/call and /v1/estimate)");
  if (path == "/health") return health();
  if (path == "/metrics") return metrics();
  if (path == "/v1/status") return status();
  if (path == "/v1/abi-tests") return abi_tests();
  return error_response(404,
                        "no such endpoint (docs/formats.md \"the API of lucid-blockchain-virtual-machine\")");
}

http::Response VmApi::call(const http::Request& request) {
  auto parsed = parse_call(request.body);
  if (!parsed) return error_response(400, parsed.error().message);
  if (chain_.status().halted)
    return error_response(
        503, "this VM's observer halted on an incident: its state is not trusted (see /v1/status)");
  const Clock::time_point started = Clock::now();
  http::Response response;
  std::optional<Label> executed;  // set once the call ran (answered, reverted or not)
  bool reverted = false;
  chain_.read([&](const Ledger& ledger) {
    auto target = resolve(ledger.vm(), *parsed);
    if (!target) {
      response = error_response(status_for(target.error()), target.error().message);
      return;
    }
    const StateView at = state_at(ledger, parsed->at);
    std::uint64_t gas_used = 0;
    auto output =
        ledger.vm().view(*at.state, target->contract->abi().name, target->calldata, at.height, &gas_used);
    executed = Label{target->contract->abi().name, target->function->name};
    const json position{{"height", at.height}, {"state_root", to_hex(at.root)}, {"gas_used", gas_used}};
    if (!output) {
      reverted = true;
      json body = position;
      body["error"] = fmt::format("{}.{} reverted: {}", executed->contract, target->function->name,
                                  output.error().message);
      response = json_response(422, body);
      return;
    }
    auto values = decode_output(*target->function, *output);
    if (!values) {
      response = error_response(500, values.error().message);
      return;
    }
    json body = position;
    body["contract"] = executed->contract;
    body["function"] = executed->function;
    body["at"] = to_string(parsed->at);
    body["outputs"] = outputs_json(*target->function, *values);
    body["output"] = to_hex(*output);
    response = json_response(200, body);
  });
  if (executed) usage_.record_call(executed->contract, executed->function, reverted, Clock::now() - started);
  return response;
}

http::Response VmApi::estimate(const http::Request& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded())
    return error_response(400, "the body is not JSON: send a signed transaction (docs/formats.md)");
  auto tx = parse_transaction(body);
  if (!tx) return error_response(400, tx.error().message);
  if (!transaction_signature_valid(*tx))
    return error_response(401, "transaction signature does not verify with its \"from\" key");
  if (chain_.status().halted)
    return error_response(
        503, "this VM's observer halted on an incident: its state is not trusted (see /v1/status)");
  const Clock::time_point started = Clock::now();
  // A copy of the head state, taken under the observer's lock and executed outside it.
  std::optional<State> copy;
  const Vm* vm = nullptr;
  std::string chain_id;
  std::uint64_t height = 0;
  std::uint64_t head_time_ms = 0;
  Hash root{};
  chain_.read([&](const Ledger& ledger) {
    chain_id = ledger.genesis().chain_id;
    if (tx->chain_id != chain_id) return;
    copy = ledger.state();
    vm = &ledger.vm();  // the observer's, which outlives it
    height = ledger.height();
    head_time_ms = ledger.head_time_ms();
    root = ledger.head_state_root();
  });
  if (!copy)
    return error_response(400,
                          fmt::format("transaction is for chain {:?}, this is {:?}", tx->chain_id, chain_id));
  // Executed as the next block would execute it.
  const Receipt receipt = vm->apply(*copy, *tx, height + 1, std::max(now_ms(), head_time_ms));
  const Label label = label_of(*vm, tx->contract, tx->data);
  usage_.record_estimate(label.contract, label.function, !receipt.success, receipt.gas_used,
                         Clock::now() - started);
  return json_response(200, json{{"height", height},
                                 {"state_root", to_hex(root)},
                                 {"receipt", CoreApi::receipt_to_json(*vm, receipt)}});
}

http::Response VmApi::abi_tests() const {
  const AbiSelfTestReport report = run_abi_self_test();
  return json_response(report.failed() == 0 ? 200 : 500, report.to_json());
}

http::Response VmApi::status() const {
  json body = validator_status_to_json(chain_.status());
  json vm = usage_.to_json();
  vm["latency_ms"]["budget"] = options_.latency_budget.count();
  {
    MutexLock lock(probe_mu_);
    vm["probe"] =
        json{{"runs", probes_}, {"error", probe_error_}, {"gas_counted_to_height", scanned_height_}};
  }
  body["vm"] = std::move(vm);
  return json_response(200, body);
}

http::Response VmApi::health() const {
  const ValidatorStatus status = chain_.status();
  const LatencySummary latency = usage_.latency();
  std::string probe_error;
  {
    MutexLock lock(probe_mu_);
    probe_error = probe_error_;
  }
  const auto budget_ms = static_cast<double>(options_.latency_budget.count());
  json body{{"height", status.height},          {"final_height", status.final_height},
            {"connected", status.connected},    {"halted", status.halted},
            {"latency_p95_ms", latency.p95_ms}, {"latency_budget_ms", budget_ms}};
  std::string error;
  if (status.halted)
    error = fmt::format("halted on an incident: {}",
                        status.incidents.empty() ? std::string("?") : status.incidents.back().detail);
  else if (!status.connected)
    error = fmt::format("etcd unreachable: {}",
                        status.last_error.empty() ? "not connected yet" : status.last_error);
  else if (!probe_error.empty())
    error = fmt::format("the probe's view call failed: {}", probe_error);
  else if (latency.samples > 0 && latency.p95_ms > budget_ms)
    error = fmt::format("p95 of the last {} executions is {:.1f} ms, over the budget of {} ms",
                        latency.samples, latency.p95_ms, options_.latency_budget.count());
  if (!error.empty()) {
    body["error"] = error;
    return json_response(503, body);
  }
  body["ok"] = true;
  return json_response(200, body);
}

http::Response VmApi::metrics() const {
  const ValidatorStatus status = chain_.status();
  PrometheusWriter out;
  out.single("lucid_chain_height", "gauge", "Height of the last block this VM's observer executed.",
             status.height);
  out.single("lucid_chain_final_height", "gauge", "Highest height up to which every block is final.",
             status.final_height);
  out.single("lucid_chain_etcd_connected", "gauge", "1 when the last exchange with etcd succeeded.",
             status.connected);
  out.single("lucid_chain_halted", "gauge", "1 when this VM's observer halted on an incident.",
             status.halted);
  out.single("lucid_chain_incidents", "gauge", "Incidents this VM's observer has seen.",
             status.incidents.size());
  usage_.write_metrics(out);
  out.single("lucid_chain_vm_latency_budget_seconds", "gauge", "/health fails while the p95 is above this.",
             std::chrono::duration<double>(options_.latency_budget).count());
  bool probe_ok = false;
  {
    MutexLock lock(probe_mu_);
    probe_ok = probes_ > 0 && probe_error_.empty();
  }
  out.single("lucid_chain_vm_probe_ok", "gauge", "1 when the last probe's view call succeeded.", probe_ok);
  return {200, "text/plain; version=0.0.4", out.take()};
}

void VmApi::start_probe() {
  prober_ = std::jthread([this](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      probe();
      std::unique_lock lock(wake_mu_);
      wake_.wait_for(lock, stop, options_.probe_interval, [] { return false; });
    }
  });
}

void VmApi::probe() {
  static const Bytes names_call =
      encode_call(*embedded_abi("ParamRegistry").function("names"), std::span<const AbiValue>{}).value();
  const Clock::time_point started = Clock::now();
  Result<Bytes> output = fail(ErrorKind::kInternal, "not run");
  chain_.read([&](const Ledger& ledger) {
    const StateView at = state_at(ledger, StateAt::kFinal);
    output = ledger.vm().view(*at.state, "ParamRegistry", names_call, at.height);
  });
  usage_.record_probe(Clock::now() - started);
  {
    MutexLock lock(probe_mu_);
    ++probes_;
    probe_error_ = output ? std::string() : output.error().message;
  }
  count_executed_blocks();
}

void VmApi::count_executed_blocks() {
  std::uint64_t from = 0;
  {
    MutexLock lock(probe_mu_);
    from = scanned_height_;
  }
  std::vector<std::tuple<Label, std::uint64_t>> executed;
  std::uint64_t to = from;
  chain_.read([&](const Ledger& ledger) {
    to = std::min(ledger.height(), from + kMaxBlocksPerProbe);
    for (std::uint64_t height = std::max(from, ledger.base_height()) + 1; height <= to; ++height) {
      const ExecutedBlock& block = *ledger.block(height);
      for (std::size_t i = 0; i < block.receipts.size(); ++i) {
        const Transaction& tx = block.block.transactions[i];
        executed.emplace_back(label_of(ledger.vm(), tx.contract, tx.data), block.receipts[i].gas_used);
      }
    }
  });
  for (const auto& [label, gas] : executed) usage_.record_executed(label.contract, label.function, gas);
  MutexLock lock(probe_mu_);
  scanned_height_ = to;
}

}  // namespace lucid::chain
