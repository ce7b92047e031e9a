#include "lucid/chain/param_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"

namespace lucid::chain {
namespace {

constexpr std::string_view kContract = "ParamRegistry";

// Names fit a bytes32 with at least one zero byte after them (ethers' encodeBytes32String needs it).
constexpr std::array<ParamSpec, 4> kSpecs{{
    {Param::kTimelockBlocks, "timelockBlocks", 10, 1, 100000},
    {Param::kMaxTransactionsPerBlock, "maxBlockTransactions", 500, 1, kMaxBlockTransactions},
    {Param::kGovernanceQuorumPercent, "governanceQuorumPercent", 67, 51, 100},
    {Param::kAnchorChunksPerCall, "anchorChunksPerCall", AnchorRegistry::kMaxChunksPerCall, 1,
     AnchorRegistry::kMaxChunksPerCall},
}};

// The stored record of a changed parameter: (uint64 value, uint64 sinceHeight).
const std::vector<AbiType>& record_types() {
  static const std::vector<AbiType> types{parse_abi_type("uint64").value(), parse_abi_type("uint64").value()};
  return types;
}

std::uint64_t word_u64(const AbiValue& value) {
  const auto& word = std::get<AbiWord>(value.value);
  std::uint64_t n = 0;
  for (std::size_t i = 24; i < 32; ++i) {
    n = (n << 8) | word[i];
  }
  return n;
}

Result<ParamReading> decode_reading(Param param, const std::optional<Bytes>& stored) {
  const ParamSpec& spec = param_spec(param);
  if (!stored) {
    return ParamReading{spec.default_value, 0};
  }
  auto record = abi_decode(record_types(), *stored);
  if (!record) {
    return fail(ErrorKind::kCorrupt, fmt::format("state entry {}/{}: {}", kContract,
                                                 ParamRegistry::param_key(param), record.error().message));
  }
  return ParamReading{word_u64((*record)[0]), word_u64((*record)[1])};
}

constexpr bool specs_in_enum_order() {
  for (std::size_t i = 0; i < kSpecs.size(); ++i) {
    if (static_cast<std::size_t>(kSpecs[i].param) != i || kSpecs[i].default_value < kSpecs[i].min ||
        kSpecs[i].default_value > kSpecs[i].max || kSpecs[i].name.size() > 31) {
      return false;
    }
  }
  return true;
}
static_assert(specs_in_enum_order(), "kSpecs: one row per Param in enum order, defaults within bounds");

}  // namespace

std::string describe_param_name(std::span<const std::uint8_t> word) {
  auto end = std::find(word.begin(), word.end(), 0);
  bool text = end != word.begin() &&
              std::all_of(word.begin(), end, [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; }) &&
              std::all_of(end, word.end(), [](std::uint8_t c) { return c == 0; });
  return text ? std::string(word.begin(), end) : fmt::format("0x{}", to_hex(word));
}

std::span<const ParamSpec> param_specs() {
  return kSpecs;
}

const ParamSpec& param_spec(Param param) {
  return kSpecs.at(static_cast<std::size_t>(param));
}

std::string_view to_string(Param param) {
  return param_spec(param).name;
}

std::optional<Param> parse_param(std::string_view name) {
  for (const ParamSpec& spec : kSpecs) {
    if (spec.name == name) {
      return spec.param;
    }
  }
  return std::nullopt;
}

Bytes param_name_word(Param param) {
  std::string_view name = to_string(param);
  Bytes word(32, 0);
  std::copy(name.begin(), name.end(), word.begin());
  return word;
}

std::optional<Param> param_from_name_word(std::span<const std::uint8_t> word) {
  if (word.size() != 32) {
    return std::nullopt;
  }
  auto end = std::find(word.begin(), word.end(), 0);
  if (!std::all_of(end, word.end(), [](std::uint8_t c) { return c == 0; })) {
    return std::nullopt;
  }
  return parse_param(std::string_view(reinterpret_cast<const char*>(word.data()),
                                      static_cast<std::size_t>(end - word.begin())));
}

Status check_param_value(Param param, std::uint64_t value) {
  const ParamSpec& spec = param_spec(param);
  if (value < spec.min || value > spec.max) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} = {} is outside its bounds [{}, {}]", spec.name, value, spec.min, spec.max));
  }
  return {};
}

Result<std::uint64_t> check_param_value(Param param, const AbiWord& value) {
  if (std::any_of(value.begin(), value.begin() + 24, [](std::uint8_t b) { return b != 0; })) {
    const ParamSpec& spec = param_spec(param);
    return fail(ErrorKind::kInvalidArgument, fmt::format("{} = {} is outside its bounds [{}, {}]", spec.name,
                                                         word_to_decimal(value, false), spec.min, spec.max));
  }
  std::uint64_t n = word_u64(AbiValue::word(value));
  if (auto ok = check_param_value(param, n); !ok) {
    return std::unexpected(ok.error());
  }
  return n;
}

Result<std::uint64_t> param_value(const State& state, Param param) {
  auto reading = param_reading(state, param);
  if (!reading) {
    return std::unexpected(reading.error());
  }
  return reading->value;
}

Result<ParamReading> param_reading(const State& state, Param param) {
  return decode_reading(param, state.get(fmt::format("{}/{}", kContract, ParamRegistry::param_key(param))));
}

ParamRegistry::ParamRegistry() : abi_(embedded_abi(kContract)) {}

std::string ParamRegistry::param_key(Param param) {
  return fmt::format("param/{}", to_string(param));
}

Result<ParamReading> ParamRegistry::read(CallContext& context, Param param) {
  auto acting = context.act_for(std::string(kContract));
  auto stored = context.load(param_key(param));
  if (!stored) {
    return std::unexpected(stored.error());
  }
  return decode_reading(param, *stored);
}

Status ParamRegistry::write(CallContext& context, Param param, std::uint64_t value) {
  if (auto ok = check_param_value(param, value); !ok) {
    return ok;
  }
  auto old = read(context, param);
  if (!old) {
    return std::unexpected(old.error());
  }
  auto record = abi_encode(record_types(),
                           std::vector<AbiValue>{AbiValue::uint(value), AbiValue::uint(context.height())});
  if (!record) {
    return std::unexpected(record.error());
  }
  auto acting = context.act_for(std::string(kContract));
  if (auto ok = context.store(param_key(param), std::move(*record)); !ok) {
    return ok;
  }
  return context.emit(*embedded_abi(kContract).event("ParamChanged"),
                      {AbiValue::bytes(param_name_word(param)), AbiValue::uint(old->value),
                       AbiValue::uint(value), AbiValue::uint(context.height())});
}

Result<std::vector<AbiValue>> ParamRegistry::call(const AbiFunction& function,
                                                  const std::vector<AbiValue>& arguments,
                                                  CallContext& context) const {
  if (function.name == "get") {
    return get(arguments, context);
  }
  if (function.name == "names") {
    std::vector<AbiValue> names;
    names.reserve(kSpecs.size());
    for (const ParamSpec& spec : kSpecs) {
      names.push_back(AbiValue::bytes(param_name_word(spec.param)));
    }
    return std::vector<AbiValue>{AbiValue::list(std::move(names))};
  }
  if (function.name == "set") {
    // The sender of a transaction is a key, never the Governance contract, which writes through
    // write() inside its own execute call.
    return fail(ErrorKind::kAuthentication,
                "ParamRegistry is written only by Governance: propose the change with Governance.propose");
  }
  return fail(ErrorKind::kNotFound, fmt::format("ParamRegistry has no function {}", function.name));
}

// get(name) -> (value, min, max, sinceHeight)
Result<std::vector<AbiValue>> ParamRegistry::get(const std::vector<AbiValue>& arguments,
                                                 CallContext& context) const {
  const auto& name = std::get<Bytes>(arguments[0].value);
  auto param = param_from_name_word(name);
  if (!param) {
    return fail(ErrorKind::kNotFound, fmt::format("no parameter named {}", describe_param_name(name)));
  }
  auto reading = read(context, *param);
  if (!reading) {
    return std::unexpected(reading.error());
  }
  const ParamSpec& spec = param_spec(*param);
  return std::vector<AbiValue>{AbiValue::uint(reading->value), AbiValue::uint(spec.min),
                               AbiValue::uint(spec.max), AbiValue::uint(reading->since_height)};
}

}  // namespace lucid::chain
