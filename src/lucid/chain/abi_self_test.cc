#include "lucid/chain/abi_self_test.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/embedded_files.h"
#include "lucid/chain/param_registry.h"
#include "lucid/chain/vm.h"

namespace lucid::chain {
namespace {

using nlohmann::json;

// A vector the test cannot read (a member missing or of another type) is a failed case, not a throw.
template <typename F>
Result<std::string> guarded(F&& check) {
  try {
    return check();
  } catch (const json::exception& e) {
    return fail(ErrorKind::kCorrupt, fmt::format("malformed vector: {}", e.what()));
  }
}

std::string hex0x(std::span<const std::uint8_t> bytes) {
  return fmt::format("0x{}", to_hex(bytes));
}

Result<Bytes> unhex0x(const json& text, std::string_view what) {
  const auto& string = text.get_ref<const std::string&>();
  if (!string.starts_with("0x"))
    return fail(ErrorKind::kCorrupt, fmt::format("{}: {:?} does not start with 0x", what, string));
  auto bytes = from_hex(std::string_view(string).substr(2));
  if (!bytes) return fail(ErrorKind::kCorrupt, fmt::format("{}: {}", what, bytes.error().message));
  return bytes;
}

// A JSON value for a message, cut to a readable length.
std::string shown(const json& value) {
  constexpr std::size_t kShown = 160;
  std::string text = value.dump();
  return text.size() > kShown ? text.substr(0, kShown) + "..." : text;
}

Status same_bytes(std::string_view what, std::span<const std::uint8_t> ours,
                  std::span<const std::uint8_t> ethers) {
  if (std::ranges::equal(ours, ethers)) return {};
  const auto first = std::ranges::mismatch(ours, ethers).in1 - ours.begin();
  return fail(ErrorKind::kCorrupt,
              fmt::format("{} differs from ethers' at byte {} (ours {} bytes, ethers' {})", what, first,
                          ours.size(), ethers.size()));
}

Status same_json(std::string_view what, const json& ours, const json& ethers) {
  if (ours == ethers) return {};
  return fail(ErrorKind::kCorrupt,
              fmt::format("{}: ours {} but ethers has {}", what, shown(ours), shown(ethers)));
}

Status same_text(std::string_view what, std::string_view ours, std::string_view ethers) {
  if (ours == ethers) return {};
  return fail(ErrorKind::kCorrupt, fmt::format("{}: ours {:?} but ethers has {:?}", what, ours, ethers));
}

Result<std::vector<AbiType>> types_from(const json& list) {
  std::vector<AbiType> types;
  for (const json& text : list) {
    auto type = parse_abi_type(text.get<std::string>());
    if (!type) return std::unexpected(type.error());
    types.push_back(std::move(*type));
  }
  return types;
}

std::vector<AbiType> types_of(const std::vector<AbiParam>& params) {
  std::vector<AbiType> types;
  types.reserve(params.size());
  for (const AbiParam& param : params) types.push_back(param.type);
  return types;
}

Result<std::vector<AbiValue>> values_from(const std::vector<AbiType>& types, const json& list) {
  if (list.size() != types.size())
    return fail(ErrorKind::kCorrupt, fmt::format("{} values for {} types", list.size(), types.size()));
  std::vector<AbiValue> values;
  for (std::size_t i = 0; i < types.size(); ++i) {
    auto value = value_from_json(types[i], list.at(i));
    if (!value) return fail(ErrorKind::kCorrupt, fmt::format("value {}: {}", i, value.error().message));
    values.push_back(std::move(*value));
  }
  return values;
}

json json_of(const std::vector<AbiType>& types, const std::vector<AbiValue>& values) {
  json out = json::array();
  for (std::size_t i = 0; i < types.size(); ++i) out.push_back(value_to_json(types[i], values[i]));
  return out;
}

// Returns the error of a failed Status/Result from the enclosing function returning a Result.
#define LUCID_CHECK(expr)                                             \
  do {                                                                \
    if (auto _ok = (expr); !_ok) return std::unexpected(_ok.error()); \
  } while (0)

Result<std::string> codec_vector(const json& vector) {
  std::vector<AbiType> types;
  LUCID_TRY_ASSIGN(types, types_from(vector.at("types")));
  std::vector<AbiValue> values;
  LUCID_TRY_ASSIGN(values, values_from(types, vector.at("values")));
  Bytes expected;
  LUCID_TRY_ASSIGN(expected, unhex0x(vector.at("encoded"), "encoded"));
  Bytes encoded;
  LUCID_TRY_ASSIGN(encoded, abi_encode(types, values));
  LUCID_CHECK(same_bytes("the encoding", encoded, expected));
  std::vector<AbiValue> decoded;
  LUCID_TRY_ASSIGN(decoded, abi_decode(types, expected));
  LUCID_CHECK(same_json("decoded", json_of(types, decoded), vector.at("values")));
  return fmt::format("{} values, {} bytes, both ways", types.size(), expected.size());
}

Result<std::string> function_vector(const json& vector, const ContractAbi& abi) {
  const auto& name = vector.at("name").get_ref<const std::string&>();
  const AbiFunction* function = abi.function(name);
  if (function == nullptr)
    return fail(ErrorKind::kCorrupt, fmt::format("{} has no function {:?}", abi.name, name));
  LUCID_CHECK(same_text("signature", function->signature(), vector.at("signature").get<std::string>()));
  LUCID_CHECK(same_text("selector", hex0x(function->selector()), vector.at("selector").get<std::string>()));
  if (abi.function(function->selector()) != function)
    return fail(ErrorKind::kCorrupt,
                fmt::format("selector {} does not name {}", hex0x(function->selector()), name));
  const auto types = types_of(function->inputs);
  std::vector<AbiValue> arguments;
  LUCID_TRY_ASSIGN(arguments, values_from(types, vector.at("arguments")));
  Bytes expected;
  LUCID_TRY_ASSIGN(expected, unhex0x(vector.at("calldata"), "calldata"));
  Bytes calldata;
  LUCID_TRY_ASSIGN(calldata, encode_call(*function, arguments));
  LUCID_CHECK(same_bytes("the calldata", calldata, expected));
  std::vector<AbiValue> decoded;
  LUCID_TRY_ASSIGN(decoded, decode_call(*function, expected));
  LUCID_CHECK(same_json("decoded arguments", json_of(types, decoded), vector.at("arguments")));
  return fmt::format("{} = {}, {} bytes of calldata, both ways", function->signature(),
                     hex0x(function->selector()), expected.size());
}

Result<std::string> event_vector(const json& vector, const ContractAbi& abi) {
  const auto& name = vector.at("name").get_ref<const std::string&>();
  const AbiEvent* event = abi.event(name);
  if (event == nullptr) return fail(ErrorKind::kCorrupt, fmt::format("{} has no event {:?}", abi.name, name));
  LUCID_CHECK(same_text("signature", event->signature(), vector.at("signature").get<std::string>()));
  LUCID_CHECK(same_text("topic", hex0x(event->topic()), vector.at("topic").get<std::string>()));
  if (abi.event(event->topic()) != event)
    return fail(ErrorKind::kCorrupt, fmt::format("topic {} does not name {}", hex0x(event->topic()), name));
  const auto types = types_of(event->inputs);
  std::vector<AbiValue> arguments;
  LUCID_TRY_ASSIGN(arguments, values_from(types, vector.at("arguments")));
  EventLog ours;
  LUCID_TRY_ASSIGN(ours, encode_event(*event, arguments));
  json topics = json::array();
  for (const auto& topic : ours.topics) topics.push_back(hex0x(topic));
  LUCID_CHECK(same_json("topics", topics, vector.at("topics")));
  // ethers' log, decoded by us.
  EventLog ethers;
  for (const json& topic : vector.at("topics")) {
    Bytes bytes;
    LUCID_TRY_ASSIGN(bytes, unhex0x(topic, "topic"));
    if (bytes.size() != Keccak256{}.size()) return fail(ErrorKind::kCorrupt, "a topic is not 32 bytes");
    std::ranges::copy(bytes, ethers.topics.emplace_back().begin());
  }
  LUCID_TRY_ASSIGN(ethers.data, unhex0x(vector.at("data"), "data"));
  LUCID_CHECK(same_bytes("the log data", ours.data, ethers.data));
  std::vector<AbiValue> decoded;
  LUCID_TRY_ASSIGN(decoded, decode_event(*event, ethers));
  json got = json::array();
  for (std::size_t i = 0; i < types.size(); ++i) {
    const bool hashed = event->inputs[i].indexed &&
                        (types[i].kind == AbiType::Kind::kString || types[i].kind == AbiType::Kind::kBytes);
    got.push_back(hashed ? json(hex0x(std::get<Bytes>(decoded[i].value)))
                         : value_to_json(types[i], decoded[i]));
  }
  LUCID_CHECK(same_json("decoded log", got, vector.at("decoded")));
  return fmt::format("{} = {}, {} topics, {} data bytes, both ways", event->signature(),
                     hex0x(event->topic()), ethers.topics.size(), ethers.data.size());
}

// ---- Execution on a scratch state -------------------------------------------------------------------

// The chain the execution cases run on: one governor with a fixed (public, not secret) key, so that
// every run executes the same transactions.
class Scratch {
 public:
  Scratch() : key_(fixed_key()), vm_(std::vector{key_.public_key()}) {}

  Result<Receipt> send(const std::string& contract, std::string_view function,
                       const std::vector<AbiValue>& arguments) {
    Bytes calldata;
    LUCID_TRY_ASSIGN(calldata, calldata_of(contract, function, arguments));
    Transaction tx{
        "lucid-abi-self-test", {}, Vm::next_nonce(state_, key_.public_key()), contract, calldata, {}};
    sign_transaction(tx, key_);
    ++height_;
    return vm_.apply(state_, tx, height_, 1000 * height_);
  }

  Result<std::vector<AbiValue>> view(const std::string& contract, std::string_view function,
                                     const std::vector<AbiValue>& arguments) const {
    Bytes calldata;
    LUCID_TRY_ASSIGN(calldata, calldata_of(contract, function, arguments));
    Bytes output;
    LUCID_TRY_ASSIGN(output, vm_.view(state_, contract, calldata, height_));
    return decode_output(*vm_.contract(contract)->abi().function(function), output);
  }

  json shown(const std::string& contract, std::string_view function,
             const std::vector<AbiValue>& values) const {
    return json_of(types_of(vm_.contract(contract)->abi().function(function)->outputs), values);
  }

  std::uint64_t height() const { return height_; }
  const Vm& vm() const { return vm_; }

 private:
  static crypto::Ed25519KeyPair fixed_key() {
    crypto::Ed25519Seed seed;
    for (auto& byte : seed.span()) byte = 0x5e;
    return crypto::Ed25519KeyPair::from_seed(seed);
  }

  Result<Bytes> calldata_of(const std::string& contract, std::string_view function,
                            const std::vector<AbiValue>& arguments) const {
    const Contract* target = vm_.contract(contract);
    const AbiFunction* member = target == nullptr ? nullptr : target->abi().function(function);
    if (member == nullptr)
      return fail(ErrorKind::kNotFound, fmt::format("the VM has no {}.{}", contract, function));
    return encode_call(*member, arguments);
  }

  crypto::Ed25519KeyPair key_;
  Vm vm_;
  State state_;
  std::uint64_t height_ = 0;
};

std::vector<AbiValue> anchor_arguments() {
  return {AbiValue::bytes(Bytes(16, 0x01)), AbiValue::bytes(Bytes(32, 0x4d)),
          AbiValue::bytes(Bytes(32, 0x52)), AbiValue::uint(3),
          AbiValue::uint(1796000000),       AbiValue::bytes(Bytes(32, 0xee))};
}

Result<std::string> anchor_then_get(Scratch& chain) {
  const auto arguments = anchor_arguments();
  Receipt receipt;
  LUCID_TRY_ASSIGN(receipt, chain.send("AnchorRegistry", "anchor", arguments));
  if (!receipt.success) return fail(ErrorKind::kCorrupt, fmt::format("anchor reverted: {}", receipt.error));
  const AbiEvent* anchored = chain.vm().contract("AnchorRegistry")->abi().event("Anchored");
  if (receipt.logs.size() != 1 || receipt.logs[0].log.topics.empty() ||
      receipt.logs[0].log.topics[0] != anchored->topic())
    return fail(ErrorKind::kCorrupt,
                fmt::format("anchor emitted {} logs, not one Anchored", receipt.logs.size()));
  std::vector<AbiValue> record;
  LUCID_TRY_ASSIGN(record, chain.view("AnchorRegistry", "getAnchor", {arguments[0]}));
  const std::vector<AbiValue> expected{arguments[1], arguments[2], arguments[3],
                                       arguments[4], arguments[5], AbiValue::uint(chain.height())};
  LUCID_CHECK(same_json("getAnchor", chain.shown("AnchorRegistry", "getAnchor", record),
                        chain.shown("AnchorRegistry", "getAnchor", expected)));
  return fmt::format("anchored at height {} for {} gas, read back field for field", chain.height(),
                     receipt.gas_used);
}

Result<std::string> second_anchor_reverts(Scratch& chain) {
  const auto arguments = anchor_arguments();
  std::vector<AbiValue> before;
  LUCID_TRY_ASSIGN(before, chain.view("AnchorRegistry", "getAnchor", {arguments[0]}));
  Receipt receipt;
  LUCID_TRY_ASSIGN(receipt, chain.send("AnchorRegistry", "anchor", arguments));
  if (receipt.success) return fail(ErrorKind::kCorrupt, "a second anchor of one session succeeded");
  if (!receipt.logs.empty()) return fail(ErrorKind::kCorrupt, "the reverted anchor kept its logs");
  std::vector<AbiValue> after;
  LUCID_TRY_ASSIGN(after, chain.view("AnchorRegistry", "getAnchor", {arguments[0]}));
  if (after != before) return fail(ErrorKind::kCorrupt, "the reverted anchor changed the record");
  return fmt::format("reverted: {}", receipt.error);
}

Result<std::string> param_default(const Scratch& chain, const ParamSpec& spec) {
  std::vector<AbiValue> reading;
  LUCID_TRY_ASSIGN(reading,
                   chain.view("ParamRegistry", "get", {AbiValue::bytes(param_name_word(spec.param))}));
  const std::vector<AbiValue> expected{AbiValue::uint(spec.default_value), AbiValue::uint(spec.min),
                                       AbiValue::uint(spec.max), AbiValue::uint(0)};
  LUCID_CHECK(same_json("value, min, max, sinceHeight", chain.shown("ParamRegistry", "get", reading),
                        chain.shown("ParamRegistry", "get", expected)));
  return fmt::format("{} (bounds {}..{})", spec.default_value, spec.min, spec.max);
}

Result<std::string> propose_out_of_bounds_reverts(Scratch& chain) {
  const ParamSpec& spec = param_spec(Param::kTimelockBlocks);
  const AbiValue name = AbiValue::bytes(param_name_word(spec.param));
  Receipt refused;
  LUCID_TRY_ASSIGN(refused, chain.send("Governance", "propose", {name, AbiValue::uint(spec.max + 1)}));
  if (refused.success)
    return fail(ErrorKind::kCorrupt, fmt::format("propose {} = {} succeeded", spec.name, spec.max + 1));
  if (refused.error.find("outside its bounds") == std::string::npos)
    return fail(ErrorKind::kCorrupt, fmt::format("reverted for another reason: {}", refused.error));
  std::vector<AbiValue> count;
  LUCID_TRY_ASSIGN(count, chain.view("Governance", "proposalCount", {}));
  if (count != std::vector{AbiValue::uint(0)})
    return fail(ErrorKind::kCorrupt, "the refused proposal was counted");
  // The control: the same governor's proposal within the bounds is accepted.
  Receipt accepted;
  LUCID_TRY_ASSIGN(accepted, chain.send("Governance", "propose", {name, AbiValue::uint(spec.default_value)}));
  if (!accepted.success)
    return fail(ErrorKind::kCorrupt,
                fmt::format("a proposal within the bounds reverted too: {}", accepted.error));
  return fmt::format("reverted: {}", refused.error);
}

// The payout routers: the scratch key is a governor but no recorder until it adds itself.
const Bytes kPayoutBatch(32, 0xb7);

Bytes scratch_key_bytes(const Scratch& chain) {
  const auto& governor = chain.vm().governors().front();
  return {governor.begin(), governor.end()};
}

std::vector<AbiValue> payout_batch_arguments(std::uint64_t total) {
  return {AbiValue::bytes(kPayoutBatch), AbiValue::uint(202612), AbiValue::bytes(Bytes(32, 0x90)),
          AbiValue::uint(3), AbiValue::uint(total)};
}

Result<std::string> payout_non_recorder_reverts(Scratch& chain) {
  Receipt refused;
  LUCID_TRY_ASSIGN(refused, chain.send("PR0", "recordBatch", payout_batch_arguments(100)));
  if (refused.success) return fail(ErrorKind::kCorrupt, "a key outside the recorders recorded a batch");
  if (refused.error.find("only a recorder") == std::string::npos)
    return fail(ErrorKind::kCorrupt, fmt::format("reverted for another reason: {}", refused.error));
  std::vector<AbiValue> count;
  LUCID_TRY_ASSIGN(count, chain.view("PR0", "batchCount", {}));
  if (count != std::vector{AbiValue::uint(0)})
    return fail(ErrorKind::kCorrupt, "the refused batch was counted");
  return fmt::format("reverted: {}", refused.error);
}

Result<std::string> payout_record_then_get(Scratch& chain) {
  const Bytes key = scratch_key_bytes(chain);
  Receipt added;
  LUCID_TRY_ASSIGN(added, chain.send("PR0", "addRecorder", {AbiValue::bytes(key)}));
  if (!added.success) return fail(ErrorKind::kCorrupt, fmt::format("addRecorder reverted: {}", added.error));
  const auto arguments = payout_batch_arguments(100);
  Receipt recorded;
  LUCID_TRY_ASSIGN(recorded, chain.send("PR0", "recordBatch", arguments));
  if (!recorded.success)
    return fail(ErrorKind::kCorrupt, fmt::format("recordBatch reverted: {}", recorded.error));
  const AbiEvent* event = chain.vm().contract("PR0")->abi().event("BatchRecorded");
  if (recorded.logs.size() != 1 || recorded.logs[0].log.topics.empty() ||
      recorded.logs[0].log.topics[0] != event->topic())
    return fail(ErrorKind::kCorrupt,
                fmt::format("recordBatch emitted {} logs, not one BatchRecorded", recorded.logs.size()));
  std::vector<AbiValue> batch;
  LUCID_TRY_ASSIGN(batch, chain.view("PR0", "getBatch", {arguments[0]}));
  const std::vector<AbiValue> expected{arguments[1],
                                       arguments[2],
                                       arguments[3],
                                       arguments[4],
                                       AbiValue::uint(0),
                                       AbiValue::uint(0),
                                       AbiValue::boolean(false),
                                       AbiValue::bytes(key),
                                       AbiValue::uint(chain.height())};
  LUCID_CHECK(
      same_json("getBatch", chain.shown("PR0", "getBatch", batch), chain.shown("PR0", "getBatch", expected)));
  return fmt::format("recorded at height {} for {} gas, read back field for field", chain.height(),
                     recorded.gas_used);
}

// paid and settled of the scratch batch.
Result<std::pair<AbiValue, bool>> payout_paid(const Scratch& chain) {
  std::vector<AbiValue> batch;
  LUCID_TRY_ASSIGN(batch, chain.view("PR0", "getBatch", {AbiValue::bytes(kPayoutBatch)}));
  return std::pair{batch.at(4), std::get<bool>(batch.at(6).value)};
}

Result<std::string> payout_over_payment_reverts(Scratch& chain) {
  Receipt first;
  LUCID_TRY_ASSIGN(first, chain.send("PR0", "recordReceipt",
                                     {AbiValue::bytes(kPayoutBatch), AbiValue::bytes(Bytes(32, 0x71)),
                                      AbiValue::uint(60)}));
  if (!first.success)
    return fail(ErrorKind::kCorrupt, fmt::format("a receipt of 60 reverted: {}", first.error));
  Receipt over;
  LUCID_TRY_ASSIGN(over, chain.send("PR0", "recordReceipt",
                                    {AbiValue::bytes(kPayoutBatch), AbiValue::bytes(Bytes(32, 0x72)),
                                     AbiValue::uint(41)}));
  if (over.success) return fail(ErrorKind::kCorrupt, "paying 101 of a total of 100 succeeded");
  if (over.error.find("over-payment") == std::string::npos)
    return fail(ErrorKind::kCorrupt, fmt::format("reverted for another reason: {}", over.error));
  std::pair<AbiValue, bool> paid;
  LUCID_TRY_ASSIGN(paid, payout_paid(chain));
  if (paid.first != AbiValue::uint(60) || paid.second)
    return fail(ErrorKind::kCorrupt, "the refused receipt changed the batch");
  return fmt::format("reverted: {}", over.error);
}

Result<std::string> payout_receipts_settle(Scratch& chain) {
  Receipt last;
  LUCID_TRY_ASSIGN(last, chain.send("PR0", "recordReceipt",
                                    {AbiValue::bytes(kPayoutBatch), AbiValue::bytes(Bytes(32, 0x73)),
                                     AbiValue::uint(40)}));
  if (!last.success)
    return fail(ErrorKind::kCorrupt, fmt::format("the last receipt reverted: {}", last.error));
  const ContractAbi& abi = chain.vm().contract("PR0")->abi();
  if (last.logs.size() != 2 || last.logs[1].log.topics.empty() ||
      last.logs[1].log.topics[0] != abi.event("BatchSettled")->topic())
    return fail(ErrorKind::kCorrupt,
                fmt::format("the last receipt emitted {} logs, not ReceiptRecorded and BatchSettled",
                            last.logs.size()));
  std::pair<AbiValue, bool> paid;
  LUCID_TRY_ASSIGN(paid, payout_paid(chain));
  if (paid.first != AbiValue::uint(100) || !paid.second)
    return fail(ErrorKind::kCorrupt, "the batch is not settled at its total");
  return "60 + 40 of 100: settled, BatchSettled emitted";
}

Result<std::string> payout_kyc_root_required(Scratch& chain) {
  const Bytes key = scratch_key_bytes(chain);
  Receipt added;
  LUCID_TRY_ASSIGN(added, chain.send("PRKYC", "addRecorder", {AbiValue::bytes(key)}));
  if (!added.success) return fail(ErrorKind::kCorrupt, fmt::format("addRecorder reverted: {}", added.error));
  auto arguments = payout_batch_arguments(100);
  arguments.push_back(AbiValue::bytes(Bytes(32, 0)));
  Receipt refused;
  LUCID_TRY_ASSIGN(refused, chain.send("PRKYC", "recordBatch", arguments));
  if (refused.success) return fail(ErrorKind::kCorrupt, "PRKYC recorded a batch without a KYC root");
  if (refused.error.find("kycRoot") == std::string::npos)
    return fail(ErrorKind::kCorrupt, fmt::format("reverted for another reason: {}", refused.error));
  arguments.back() = AbiValue::bytes(Bytes(32, 0xc1));
  Receipt recorded;
  LUCID_TRY_ASSIGN(recorded, chain.send("PRKYC", "recordBatch", arguments));
  if (!recorded.success)
    return fail(ErrorKind::kCorrupt, fmt::format("a batch with a KYC root reverted: {}", recorded.error));
  std::vector<AbiValue> batch;
  LUCID_TRY_ASSIGN(batch, chain.view("PRKYC", "getBatch", {arguments[0]}));
  if (batch.back() != arguments.back())
    return fail(ErrorKind::kCorrupt, "getBatch does not return the KYC root");
  return fmt::format("zero root reverted ({}); a batch with its root recorded", refused.error);
}

void add_case(AbiSelfTestReport& report, std::string name,
              const std::function<Result<std::string>()>& check) {
  auto outcome = guarded(check);
  report.cases.push_back({std::move(name), outcome.has_value(),
                          outcome ? std::move(*outcome) : std::move(outcome.error().message)});
}

// The contract a vector names: "Probe" is the document's own probe interface.
const ContractAbi* contract_named(const Vm& vm, const Result<ContractAbi>& probe, const std::string& name) {
  if (name == "Probe") return probe ? &*probe : nullptr;
  const Contract* contract = vm.contract(name);
  return contract == nullptr ? nullptr : &contract->abi();
}

// The vectors of one kind ("functions", "events") against their contracts.
void member_cases(AbiSelfTestReport& report, const json& vectors, const char* kind, const Vm& vm,
                  const Result<ContractAbi>& probe,
                  Result<std::string> (*check)(const json&, const ContractAbi&)) {
  const char* label = std::string_view(kind) == "functions" ? "call" : "event";
  for (const json& vector : vectors.at(kind)) {
    const std::string contract = vector.value("contract", std::string("?"));
    add_case(report, fmt::format("{} {}.{}", label, contract, vector.value("name", std::string("?"))), [&] {
      const ContractAbi* abi = contract_named(vm, probe, contract);
      if (abi == nullptr)
        return Result<std::string>(fail(ErrorKind::kCorrupt, fmt::format("no contract {:?}", contract)));
      return check(vector, *abi);
    });
  }
}

// A codec vector's types as its case names them: "uint8,string[]".
std::string codec_types(const json& vector) {
  std::string types;
  if (vector.is_object() && vector.contains("types") && vector["types"].is_array())
    for (const json& type : vector["types"])
      types +=
          fmt::format("{}{}", types.empty() ? "" : ",", type.is_string() ? type.get<std::string>() : "?");
  return types;
}

// Each function and event of `abi` has a vector of that kind: ethers made one for every member.
Result<std::string> covered(const json& vectors, const ContractAbi& abi) {
  auto has = [&](const char* kind, const std::string& name) {
    return std::ranges::any_of(vectors.at(kind), [&](const json& vector) {
      return vector.value("contract", "") == abi.name && vector.value("name", "") == name;
    });
  };
  for (const AbiFunction& function : abi.functions)
    if (!has("functions", function.name))
      return fail(ErrorKind::kCorrupt, fmt::format("no vector for {}.{}", abi.name, function.name));
  for (const AbiEvent& event : abi.events)
    if (!has("events", event.name))
      return fail(ErrorKind::kCorrupt, fmt::format("no vector for event {}.{}", abi.name, event.name));
  return fmt::format("{} functions and {} events", abi.functions.size(), abi.events.size());
}

}  // namespace

std::size_t AbiSelfTestReport::passed() const {
  return static_cast<std::size_t>(std::ranges::count_if(cases, [](const AbiCaseResult& c) { return c.ok; }));
}

std::size_t AbiSelfTestReport::failed() const {
  return cases.size() - passed();
}

json AbiSelfTestReport::to_json() const {
  json list = json::array();
  for (const AbiCaseResult& one : cases)
    list.push_back({{"name", one.name}, {"ok", one.ok}, {"detail", one.detail}});
  return json{{"passed", passed()}, {"failed", failed()}, {"cases", std::move(list)}};
}

Result<std::string> check_codec_vector(const json& vector) {
  return guarded([&] { return codec_vector(vector); });
}

Result<std::string> check_function_vector(const json& vector, const ContractAbi& abi) {
  return guarded([&] { return function_vector(vector, abi); });
}

Result<std::string> check_event_vector(const json& vector, const ContractAbi& abi) {
  return guarded([&] { return event_vector(vector, abi); });
}

AbiSelfTestReport run_abi_self_test(const json& vectors) {
  AbiSelfTestReport report;
  for (const char* section : {"codec", "functions", "events"}) {
    if (!vectors.is_object() || !vectors.contains(section) || !vectors[section].is_array() ||
        vectors[section].empty()) {
      report.cases.push_back(
          {fmt::format("{} vectors", section), false, "missing or empty in the vector file"});
      return report;
    }
  }
  Scratch chain;
  const Result<ContractAbi> probe =
      vectors.contains("probe_abi") ? parse_contract_abi(vectors["probe_abi"].dump(), "abi.json probe_abi")
                                    : Result<ContractAbi>(fail(ErrorKind::kCorrupt, "no probe_abi"));

  for (const json& vector : vectors["codec"]) {
    add_case(report, fmt::format("codec ({})", codec_types(vector)),
             [&] { return check_codec_vector(vector); });
  }
  member_cases(report, vectors, "functions", chain.vm(), probe, &check_function_vector);
  member_cases(report, vectors, "events", chain.vm(), probe, &check_event_vector);
  for (const EmbeddedFile& file : embedded_contract_abis()) {
    const Contract* contract = chain.vm().contract(file.name);
    add_case(report, fmt::format("vectors cover {}", file.name), [&] {
      if (contract == nullptr)
        return Result<std::string>(fail(ErrorKind::kCorrupt, "the VM does not execute this contract"));
      return covered(vectors, contract->abi());
    });
  }

  add_case(report, "AnchorRegistry: anchor then getAnchor", [&] { return anchor_then_get(chain); });
  add_case(report, "AnchorRegistry: a second anchor of one session reverts",
           [&] { return second_anchor_reverts(chain); });
  for (const ParamSpec& spec : param_specs())
    add_case(report, fmt::format("ParamRegistry: get({}) is its default and bounds", spec.name),
             [&] { return param_default(chain, spec); });
  add_case(report, "Governance: propose out of bounds reverts",
           [&] { return propose_out_of_bounds_reverts(chain); });
  add_case(report, "PR0: a non-recorder's recordBatch reverts",
           [&] { return payout_non_recorder_reverts(chain); });
  add_case(report, "PR0: addRecorder, recordBatch then getBatch",
           [&] { return payout_record_then_get(chain); });
  add_case(report, "PR0: an over-payment reverts", [&] { return payout_over_payment_reverts(chain); });
  add_case(report, "PR0: receipts to settlement", [&] { return payout_receipts_settle(chain); });
  add_case(report, "PRKYC: recordBatch needs a KYC root", [&] { return payout_kyc_root_required(chain); });
  return report;
}

AbiSelfTestReport run_abi_self_test() {
  const auto& files = embedded_abi_vectors();
  auto vectors = files.empty() ? json() : json::parse(files.front().text, nullptr, false);
  if (vectors.is_discarded() || !vectors.is_object()) {
    AbiSelfTestReport report;
    report.cases.push_back({"vectors", false, "the vectors built into this binary are not a JSON object"});
    return report;
  }
  return run_abi_self_test(vectors);
}

}  // namespace lucid::chain
