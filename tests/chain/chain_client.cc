#include "chain_client.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lucid/base/hex.h"
#include "lucid/base/http_client.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/block.h"
#include "lucid/chain/etcd_client.h"
#include "lucid/chain/ordering.h"
#include "lucid/chain/state.h"
#include "lucid/crypto/merkle.h"
#include "testing/docker.h"

namespace lucid::chain::test_client {

using nlohmann::json;
using namespace std::chrono_literals;

using lucid::testing::wait_until;

crypto::Ed25519KeyPair fixed_key(std::uint8_t fill) {
  crypto::Ed25519Seed seed;
  for (auto& b : seed.span()) b = fill;
  return crypto::Ed25519KeyPair::from_seed(seed);
}

std::optional<json> get_json(const std::string& url, long* status) {
  HttpOptions options;
  options.timeout = 2s;
  auto response = http_get(url, options);
  if (!response) return std::nullopt;
  if (status != nullptr) *status = response->status;
  auto body = json::parse(response->body, nullptr, false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

Transaction anchor_transaction(const crypto::Ed25519KeyPair& sender, std::uint64_t nonce,
                               std::uint8_t session, const std::string& chain_id) {
  const AbiFunction* anchor = embedded_abi("AnchorRegistry").function("anchor");
  std::vector<AbiValue> arguments{AbiValue::bytes(Bytes(16, session)), AbiValue::bytes(Bytes(32, 0x4d)),
                                  AbiValue::bytes(Bytes(32, session)), AbiValue::uint(3),
                                  AbiValue::uint(1796000000),          AbiValue::bytes(Bytes(32, 0xee))};
  Transaction tx{chain_id, {}, nonce, "AnchorRegistry", encode_call(*anchor, arguments).value(), {}};
  sign_transaction(tx, sender);
  return tx;
}

Transaction call_transaction(const crypto::Ed25519KeyPair& sender, std::uint64_t nonce,
                             const std::string& contract, const std::string& function,
                             const std::vector<AbiValue>& arguments, const std::string& chain_id) {
  const AbiFunction* target = embedded_abi(contract).function(function);
  Transaction tx{chain_id, {}, nonce, contract, encode_call(*target, arguments).value(), {}};
  sign_transaction(tx, sender);
  return tx;
}

std::vector<AbiType> output_types(const AbiFunction& function) {
  std::vector<AbiType> types;
  for (const AbiParam& p : function.outputs) types.push_back(p.type);
  return types;
}

Result<std::vector<AbiValue>> view(const Vm& vm, const State& state, const std::string& contract,
                                   const std::string& function, const std::vector<AbiValue>& arguments,
                                   std::uint64_t height) {
  const AbiFunction* target = embedded_abi(contract).function(function);
  if (target == nullptr)
    return fail(ErrorKind::kNotFound, fmt::format("{} has no function {}", contract, function));
  auto output = vm.view(state, contract, encode_call(*target, arguments).value(), height);
  if (!output) return std::unexpected(output.error());
  return abi_decode(output_types(*target), *output);
}

long submit(const std::string& base, const Transaction& tx) {
  HttpOptions options;
  options.timeout = 5s;
  auto response =
      http_post(base + "/v1/transactions", transaction_to_json(tx).dump(), "application/json", options);
  return response ? response->status : 0;
}

std::optional<json> final_receipt(const std::string& base, const Transaction& tx) {
  auto body = get_json(fmt::format("{}/v1/transactions/{}", base, to_hex(transaction_hash(tx))));
  if (!body || !body->value("final", false)) return std::nullopt;
  return body;
}

json status(const std::string& base) {
  return get_json(base + "/v1/status").value_or(json::object());
}

bool healthy(const std::string& base) {
  long code = 0;
  return get_json(base + "/health", &code).has_value() && code == 200;
}

void expect_one_chain(const std::vector<std::string>& bases) {
  std::uint64_t lowest = UINT64_MAX;
  for (const std::string& base : bases)
    lowest = std::min<std::uint64_t>(lowest, status(base).value("height", 0));
  ASSERT_GT(lowest, 0u);
  for (std::uint64_t h = 1; h <= lowest; ++h) {
    auto reference = get_json(fmt::format("{}/v1/blocks/{}", bases.front(), h));
    ASSERT_TRUE(reference.has_value());
    for (const std::string& base : bases) {
      auto other = get_json(fmt::format("{}/v1/blocks/{}", base, h));
      ASSERT_TRUE(other.has_value());
      EXPECT_EQ((*other)["hash"], (*reference)["hash"]) << "fork at height " << h << " on " << base;
      EXPECT_EQ((*other)["state_root"], (*reference)["state_root"]) << "height " << h << " on " << base;
    }
  }
}

json expect_proven_anchor(const std::string& base, std::uint8_t session, std::size_t quorum) {
  auto anchor = get_json(fmt::format("{}/v1/anchors/{}", base, to_hex(Bytes(16, session))));
  EXPECT_TRUE(anchor.has_value());
  if (!anchor) return json(nullptr);
  EXPECT_EQ((*anchor)["anchor"]["merkleRoot"], "0x" + to_hex(Bytes(32, session))) << anchor->dump();
  Hash root{};
  EXPECT_TRUE(from_hex_into((*anchor)["state_root"].get<std::string>(), root));
  auto key = from_hex((*anchor)["proof"]["key"].get<std::string>()).value();
  auto value = from_hex((*anchor)["proof"]["value"].get<std::string>()).value();
  std::vector<Hash> path;
  for (const auto& node : (*anchor)["proof"]["path"]) {
    Hash h{};
    EXPECT_TRUE(from_hex_into(node.get<std::string>(), h));
    path.push_back(h);
  }
  EXPECT_TRUE(crypto::merkle_verify_inclusion(root,
                                              State::entry_leaf(std::string(key.begin(), key.end()), value),
                                              (*anchor)["proof"]["index"].get<std::uint64_t>(),
                                              (*anchor)["proof"]["size"].get<std::uint64_t>(), path));
  std::size_t signed_root = 0;
  for (const auto& vote_json : (*anchor)["votes"]) {
    auto vote = parse_vote(vote_json);
    if (vote && vote_signature_valid(*vote) && vote->state_root == root &&
        vote->height == (*anchor)["height"].get<std::uint64_t>())
      ++signed_root;
  }
  EXPECT_GE(signed_root, quorum) << "the proven root needs a quorum of signatures";
  return *anchor;
}

void expect_tampered_block_refused(const std::vector<std::string>& etcd_urls, const std::string& key_prefix,
                                   const std::vector<std::string>& bases, const Transaction& inside) {
  const std::uint64_t head = status(bases.front()).value("height", 0ULL);
  auto last = get_json(fmt::format("{}/v1/blocks/{}", bases.front(), head));
  ASSERT_TRUE(last.has_value());
  Hash previous{};
  ASSERT_TRUE(from_hex_into((*last)["hash"].get<std::string>(), previous));
  Block tampered = make_block((*last)["block"]["header"]["chain_id"].get<std::string>(), head + 1, previous,
                              (*last)["block"]["header"]["time_ms"].get<std::uint64_t>() + 1, {inside},
                              crypto::Ed25519KeyPair::generate());
  tampered.transactions[0].data.back() ^= 1;
  EtcdClient etcd(etcd_urls);
  const OrderingKeys keys{key_prefix};
  auto written = etcd.put_if_absent(keys.block(head + 1), block_to_json(tampered).dump());
  ASSERT_TRUE(written.has_value()) << written.error().message;
  ASSERT_TRUE(*written) << "the height was taken meanwhile";
  for (const std::string& base : bases) {
    ASSERT_TRUE(wait_until([&] { return status(base).value("halted", false); }, 10s)) << status(base).dump();
    const json now = status(base);
    ASSERT_FALSE(now["incidents"].empty());
    EXPECT_EQ(now["incidents"].back()["kind"], "invalid-block") << base;
    EXPECT_FALSE(healthy(base)) << base;
    EXPECT_EQ(now["height"], head) << base << ": the tampered block was not executed";
  }
  EXPECT_TRUE(wait_until(
      [&] {
        auto incidents = etcd.range(keys.incident_prefix());
        return incidents && incidents->size() >= bases.size();
      },
      10s))
      << "every validator writes its incident to etcd";
}

}  // namespace lucid::chain::test_client
