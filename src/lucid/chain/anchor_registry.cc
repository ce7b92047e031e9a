#include "lucid/chain/anchor_registry.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/embedded_files.h"
#include "lucid/chain/param_registry.h"

namespace lucid::chain {
namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes& bytes_of(const AbiValue& value) {
  return std::get<Bytes>(value.value);
}

std::uint64_t small_uint(const AbiValue& value) {
  const auto& word = std::get<AbiWord>(value.value);
  std::uint64_t n = 0;
  for (std::size_t i = 24; i < 32; ++i) {
    n = (n << 8) | word[i];
  }
  return n;
}

Bytes key_bytes(const crypto::Ed25519PublicKey& key) {
  return {key.begin(), key.end()};
}

std::string chunk_key(std::span<const std::uint8_t> session_id, std::uint64_t index) {
  return fmt::format("chunk/{}/{:08x}", to_hex(session_id), index);
}

}  // namespace

const ContractAbi& embedded_abi(std::string_view contract) {
  static const auto abis = [] {
    std::map<std::string, ContractAbi, std::less<>> parsed;
    for (const EmbeddedFile& file : embedded_contract_abis()) {
      auto abi = parse_contract_abi(file.text, fmt::format("contracts/{}.abi.json", file.name));
      if (!abi) {
        // The chain's own interface files are part of the build; one that does not parse is a bug
        // that chain_abi_test catches before it ships.
        (void)std::fprintf(stderr, "%s\n", abi.error().message.c_str());
        std::abort();
      }
      abi->name = std::string(file.name);
      parsed.emplace(std::string(file.name), std::move(*abi));
    }
    return parsed;
  }();
  auto it = abis.find(contract);
  if (it == abis.end()) {
    (void)std::fprintf(stderr, "no embedded ABI for contract %.*s\n", static_cast<int>(contract.size()),
                       contract.data());
    std::abort();
  }
  return it->second;
}

AnchorRegistry::AnchorRegistry() : abi_(embedded_abi("AnchorRegistry")) {
  for (const AbiParam& output : abi_.function("getAnchor")->outputs) {
    record_types_.push_back(output.type);
  }
  record_types_.push_back(parse_abi_type("bytes32").value());
}

std::string AnchorRegistry::anchor_key(std::span<const std::uint8_t> session_id) {
  return "anchor/" + to_hex(session_id);
}

Result<std::vector<AbiValue>> AnchorRegistry::call(const AbiFunction& function,
                                                   const std::vector<AbiValue>& arguments,
                                                   CallContext& context) const {
  if (function.name == "anchor") {
    return anchor(arguments, context);
  }
  if (function.name == "anchorChunks") {
    return anchor_chunks(arguments, context);
  }
  if (function.name == "getAnchor") {
    return get_anchor(arguments, context);
  }
  return fail(ErrorKind::kNotFound, fmt::format("AnchorRegistry has no function {}", function.name));
}

// anchor(sessionId, manifestHash, merkleRoot, chunkCount, startedAt, owner)
Result<std::vector<AbiValue>> AnchorRegistry::anchor(const std::vector<AbiValue>& arguments,
                                                     CallContext& context) const {
  const Bytes& session_id = bytes_of(arguments[0]);
  std::string key = anchor_key(session_id);
  auto existing = context.load(key);
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (existing->has_value()) {
    return fail(ErrorKind::kAlreadyExists, fmt::format("session {} is already anchored", to_hex(session_id)));
  }
  if (small_uint(arguments[3]) == 0) {
    return fail(ErrorKind::kInvalidArgument, "chunkCount must be at least 1");
  }
  std::vector<AbiValue> record{arguments[1],
                               arguments[2],
                               arguments[3],
                               arguments[4],
                               arguments[5],
                               AbiValue::uint(context.height()),
                               AbiValue::bytes(key_bytes(*context.sender()))};
  auto encoded = abi_encode(record_types_, record);
  if (!encoded) {
    return std::unexpected(encoded.error());
  }
  if (auto ok = context.store(key, std::move(*encoded)); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = context.emit(*abi_.event("Anchored"), {arguments[0], arguments[5], arguments[1], arguments[2],
                                                       arguments[3], arguments[4]});
      !ok) {
    return std::unexpected(ok.error());
  }
  return std::vector<AbiValue>{};
}

Result<std::vector<AbiValue>> AnchorRegistry::load_record(std::span<const std::uint8_t> session_id,
                                                          CallContext& context) const {
  auto stored = context.load(anchor_key(session_id));
  if (!stored) {
    return std::unexpected(stored.error());
  }
  if (!stored->has_value()) {
    return fail(ErrorKind::kNotFound, fmt::format("session {} is not anchored", to_hex(session_id)));
  }
  return abi_decode(record_types_, **stored);
}

// anchorChunks(sessionId, firstIndex, leafHashes)
Result<std::vector<AbiValue>> AnchorRegistry::anchor_chunks(const std::vector<AbiValue>& arguments,
                                                            CallContext& context) const {
  const Bytes& session_id = bytes_of(arguments[0]);
  auto record = load_record(session_id, context);
  if (!record) {
    return std::unexpected(record.error());
  }
  if (bytes_of((*record)[6]) != key_bytes(*context.sender())) {
    return fail(ErrorKind::kAuthentication, "only the session's submitter may anchor its chunks");
  }
  const auto& leaves = std::get<std::vector<AbiValue>>(arguments[2].value);
  std::uint64_t first = small_uint(arguments[1]);
  std::uint64_t count = small_uint((*record)[2]);
  // The limit in force is ParamRegistry's anchorChunksPerCall (never above the hard cap).
  auto per_call = ParamRegistry::read(context, Param::kAnchorChunksPerCall);
  if (!per_call) {
    return std::unexpected(per_call.error());
  }
  const std::size_t limit = std::min<std::uint64_t>(per_call->value, kMaxChunksPerCall);
  if (leaves.empty() || leaves.size() > limit) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("1 to {} leaf hashes per call (ParamRegistry anchorChunksPerCall)", limit));
  }
  if (first >= count || leaves.size() > count - first) {
    return fail(ErrorKind::kInvalidArgument, fmt::format("chunks {}..{} are outside the session's {} chunks",
                                                         first, first + leaves.size() - 1, count));
  }
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    std::string key = chunk_key(session_id, first + i);
    auto existing = context.load(key);
    if (!existing) {
      return std::unexpected(existing.error());
    }
    if (existing->has_value()) {
      return fail(ErrorKind::kAlreadyExists, fmt::format("chunk {} is already anchored", first + i));
    }
    if (auto ok = context.store(key, bytes_of(leaves[i])); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = context.emit(*abi_.event("ChunksAnchored"), arguments); !ok) {
    return std::unexpected(ok.error());
  }
  return std::vector<AbiValue>{};
}

// getAnchor(sessionId) -> (manifestHash, merkleRoot, chunkCount, startedAt, owner, height)
Result<std::vector<AbiValue>> AnchorRegistry::get_anchor(const std::vector<AbiValue>& arguments,
                                                         CallContext& context) const {
  auto record = load_record(bytes_of(arguments[0]), context);
  if (!record) {
    return std::unexpected(record.error());
  }
  record->pop_back();  // the submitter is not part of the interface
  return std::move(*record);
}

}  // namespace lucid::chain
