#include "lucid/chain/contract_abi.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "lucid/chain/abi_codec.h"

namespace lucid::chain {
namespace {

using Json = nlohmann::json;

std::string signature_of(std::string_view name, const std::vector<AbiParam>& params) {
  std::string text = std::string(name) + "(";
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i != 0) {
      text += ",";
    }
    text += params[i].type.canonical();
  }
  return text + ")";
}

// The type string of a JSON ABI parameter: "tuple", "tuple[]" and "tuple[k]" take their members from
// "components".
Result<std::string> type_text(const Json& param, int depth) {
  if (!param.is_object() || !param.contains("type") || !param["type"].is_string()) {
    return fail(ErrorKind::kInvalidArgument, "a parameter needs a \"type\" string");
  }
  const auto& type = param["type"].get_ref<const std::string&>();
  if (!type.starts_with("tuple")) {
    return type;
  }
  if (depth > kMaxAbiNesting || !param.contains("components") || !param["components"].is_array()) {
    return fail(ErrorKind::kInvalidArgument, fmt::format("\"{}\" needs a \"components\" array", type));
  }
  std::string text = "(";
  for (std::size_t i = 0; i < param["components"].size(); ++i) {
    auto member = type_text(param["components"][i], depth + 1);
    if (!member) {
      return member;
    }
    if (i != 0) {
      text += ",";
    }
    text += *member;
  }
  return text + ")" + type.substr(5);
}

Result<std::vector<AbiParam>> parse_params(const Json& fragment, const char* key, bool event) {
  std::vector<AbiParam> params;
  if (!fragment.contains(key)) {
    return params;
  }
  if (!fragment[key].is_array()) {
    return fail(ErrorKind::kInvalidArgument, fmt::format("\"{}\" is not an array", key));
  }
  std::size_t indexed = 0;
  for (std::size_t i = 0; i < fragment[key].size(); ++i) {
    const Json& entry = fragment[key][i];
    auto text = type_text(entry, 0);
    auto type = text ? parse_abi_type(*text) : Result<AbiType>(std::unexpected(text.error()));
    if (!type) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("{}[{}]: {}", key, i, type.error().message));
    }
    AbiParam param{entry.value("name", std::string()), std::move(*type),
                   event && entry.value("indexed", false)};
    if (param.indexed) {
      ++indexed;
      auto kind = param.type.kind;
      if (kind == AbiType::Kind::kArray || kind == AbiType::Kind::kFixedArray ||
          kind == AbiType::Kind::kTuple) {
        return fail(
            ErrorKind::kInvalidArgument,
            fmt::format(
                "{}[{}] \"{}\": indexed arrays and tuples are not supported; index a hash of it instead", key,
                i, param.name));
      }
    }
    params.push_back(std::move(param));
  }
  if (indexed > 3) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} indexed arguments; an event has at most three", indexed));
  }
  return params;
}

std::vector<AbiType> types_of(const std::vector<AbiParam>& params,
                              std::optional<bool> indexed = std::nullopt) {
  std::vector<AbiType> types;
  for (const AbiParam& param : params) {
    if (!indexed || param.indexed == *indexed) {
      types.push_back(param.type);
    }
  }
  return types;
}

// The topic of an indexed argument: its word for a value type, keccak256 of its bytes for string
// and bytes (as Solidity emits them).
Keccak256 topic_of(const AbiType& type, const AbiValue& value) {
  if (type.kind == AbiType::Kind::kString) {
    return keccak256(std::get<std::string>(value.value));
  }
  if (type.kind == AbiType::Kind::kBytes) {
    return keccak256(std::get<std::vector<std::uint8_t>>(value.value));
  }
  auto encoded = abi_encode(std::span(&type, 1), std::span(&value, 1));
  Keccak256 topic{};
  std::copy_n(encoded->begin(), topic.size(), topic.begin());
  return topic;
}

}  // namespace

std::string AbiFunction::signature() const {
  return signature_of(name, inputs);
}

Selector AbiFunction::selector() const {
  Keccak256 hash = keccak256(signature());
  Selector selector{};
  std::copy_n(hash.begin(), selector.size(), selector.begin());
  return selector;
}

std::string AbiEvent::signature() const {
  return signature_of(name, inputs);
}
Keccak256 AbiEvent::topic() const {
  return keccak256(signature());
}

const AbiFunction* ContractAbi::function(std::string_view wanted) const {
  auto it = std::ranges::find(functions, wanted, &AbiFunction::name);
  return it == functions.end() ? nullptr : &*it;
}

const AbiFunction* ContractAbi::function(const Selector& selector) const {
  auto it = std::ranges::find_if(functions, [&](const AbiFunction& f) { return f.selector() == selector; });
  return it == functions.end() ? nullptr : &*it;
}

const AbiEvent* ContractAbi::event(std::string_view wanted) const {
  auto it = std::ranges::find(events, wanted, &AbiEvent::name);
  return it == events.end() ? nullptr : &*it;
}

const AbiEvent* ContractAbi::event(const Keccak256& topic) const {
  auto it =
      std::ranges::find_if(events, [&](const AbiEvent& e) { return !e.anonymous && e.topic() == topic; });
  return it == events.end() ? nullptr : &*it;
}

Result<ContractAbi> parse_contract_abi(std::string_view json_text, std::string_view source) {
  auto error = [&](const std::string& what) {
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: {}", source, what));
  };
  Json document = Json::parse(json_text, nullptr, false);
  if (document.is_discarded() || !document.is_array()) {
    return error("not a JSON ABI (a JSON array of fragments)");
  }
  ContractAbi abi;
  std::set<std::string> names;
  std::set<Selector> selectors;
  for (std::size_t i = 0; i < document.size(); ++i) {
    const Json& fragment = document[i];
    std::string kind = fragment.is_object() ? fragment.value("type", std::string("function")) : "";
    if (kind != "function" && kind != "event") {
      continue;
    }
    std::string name = fragment.value("name", std::string());
    if (name.empty()) {
      return error(fmt::format("fragment {}: a {} needs a name", i, kind));
    }
    if (!names.insert(fmt::format("{} {}", kind, name)).second) {
      return error(fmt::format("{} {} is declared twice (overloads are not supported)", kind, name));
    }
    auto inputs = parse_params(fragment, "inputs", kind == "event");
    if (!inputs) {
      return error(fmt::format("{} {}: {}", kind, name, inputs.error().message));
    }
    if (kind == "event") {
      abi.events.push_back({name, std::move(*inputs), fragment.value("anonymous", false)});
      continue;
    }
    auto outputs = parse_params(fragment, "outputs", false);
    if (!outputs) {
      return error(fmt::format("function {}: {}", name, outputs.error().message));
    }
    AbiFunction function{name, std::move(*inputs), std::move(*outputs),
                         fragment.value("stateMutability", std::string("nonpayable"))};
    if (!selectors.insert(function.selector()).second) {
      return error(fmt::format("function {}: its selector equals another function's", function.signature()));
    }
    abi.functions.push_back(std::move(function));
  }
  return abi;
}

Result<std::vector<std::uint8_t>> encode_call(const AbiFunction& function,
                                              std::span<const AbiValue> arguments) {
  auto types = types_of(function.inputs);
  auto body = abi_encode(types, arguments);
  if (!body) {
    return fail(body.error().kind, fmt::format("{}: {}", function.signature(), body.error().message));
  }
  Selector selector = function.selector();
  body->insert(body->begin(), selector.begin(), selector.end());
  return body;
}

Result<std::vector<AbiValue>> decode_call(const AbiFunction& function,
                                          std::span<const std::uint8_t> calldata) {
  Selector selector = function.selector();
  if (calldata.size() < selector.size() || !std::equal(selector.begin(), selector.end(), calldata.begin())) {
    return fail(ErrorKind::kCorrupt,
                fmt::format("calldata does not start with the selector of {}", function.signature()));
  }
  auto types = types_of(function.inputs);
  auto values = abi_decode(types, calldata.subspan(selector.size()));
  if (!values) {
    return fail(values.error().kind, fmt::format("{}: {}", function.signature(), values.error().message));
  }
  return values;
}

Result<std::vector<AbiValue>> decode_output(const AbiFunction& function,
                                            std::span<const std::uint8_t> output) {
  auto values = abi_decode(types_of(function.outputs), output);
  if (!values) {
    return fail(values.error().kind,
                fmt::format("{} returned: {}", function.signature(), values.error().message));
  }
  return values;
}

Result<EventLog> encode_event(const AbiEvent& event, std::span<const AbiValue> arguments) {
  if (arguments.size() != event.inputs.size()) {
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: {} values for {} arguments", event.signature(),
                                                         arguments.size(), event.inputs.size()));
  }
  EventLog log;
  if (!event.anonymous) {
    log.topics.push_back(event.topic());
  }
  std::vector<AbiValue> data_values;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const AbiParam& param = event.inputs[i];
    if (auto ok = check_value(param.type, arguments[i]); !ok) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{} argument {}: {}", event.signature(), param.name, ok.error().message));
    }
    if (param.indexed) {
      log.topics.push_back(topic_of(param.type, arguments[i]));
    } else {
      data_values.push_back(arguments[i]);
    }
  }
  auto data = abi_encode(types_of(event.inputs, false), data_values);
  if (!data) {
    return std::unexpected(data.error());
  }
  log.data = std::move(*data);
  return log;
}

Result<std::vector<AbiValue>> decode_event(const AbiEvent& event, const EventLog& log) {
  std::size_t first = event.anonymous ? 0 : 1;
  std::size_t indexed = static_cast<std::size_t>(std::ranges::count_if(event.inputs, &AbiParam::indexed));
  if (log.topics.size() != first + indexed) {
    return fail(ErrorKind::kCorrupt, fmt::format("{}: {} topics where {} are expected", event.signature(),
                                                 log.topics.size(), first + indexed));
  }
  if (!event.anonymous && log.topics[0] != event.topic()) {
    return fail(ErrorKind::kCorrupt,
                fmt::format("the log's first topic is not the topic of {}", event.signature()));
  }
  auto data_values = abi_decode(types_of(event.inputs, false), log.data);
  if (!data_values) {
    return fail(data_values.error().kind,
                fmt::format("{}: {}", event.signature(), data_values.error().message));
  }
  std::vector<AbiValue> values;
  std::size_t next_topic = first;
  std::size_t next_data = 0;
  for (const AbiParam& param : event.inputs) {
    if (!param.indexed) {
      values.push_back(std::move((*data_values)[next_data++]));
      continue;
    }
    const Keccak256& topic = log.topics[next_topic++];
    if (param.type.kind == AbiType::Kind::kString || param.type.kind == AbiType::Kind::kBytes) {
      values.push_back(AbiValue::bytes({topic.begin(), topic.end()}));
      continue;
    }
    auto decoded = abi_decode(std::span(&param.type, 1), topic);
    if (!decoded) {
      return fail(ErrorKind::kCorrupt,
                  fmt::format("{}: topic of {}: {}", event.signature(), param.name, decoded.error().message));
    }
    values.push_back(std::move(decoded->front()));
  }
  return values;
}

}  // namespace lucid::chain
