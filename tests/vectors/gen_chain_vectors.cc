// Writes tests/vectors/chain/ledger.json from fixed keys and inputs: a genesis, two signed
// AnchorRegistry transactions, the block holding them, the state root and receipts after executing
// it on an empty state, and a validator's vote. Run by hand after a deliberate format change:
//   build/release/bin/gen_chain_vectors tests/vectors/chain/ledger.json
// tests/chain/ledger_test.cc checks the committed file against the library, b3sum and OpenSSL.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/block.h"
#include "lucid/chain/contract_abi.h"
#include "lucid/chain/vm.h"

using namespace lucid;
using nlohmann::json;

namespace {

crypto::Ed25519KeyPair key_from(std::uint8_t fill) {
  crypto::Ed25519Seed seed;
  for (auto& b : seed.span()) {
    b = fill;
  }
  return crypto::Ed25519KeyPair::from_seed(seed);
}

std::vector<std::uint8_t> repeat(std::uint8_t b, std::size_t n) {
  return std::vector<std::uint8_t>(n, b);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gen_chain_vectors OUT.json\n");
    return 2;
  }
  auto validator = key_from(0x11);
  auto submitter = key_from(0x22);
  auto node = key_from(0x33);

  chain::Genesis genesis{"lucid-vectors", {validator.public_key()}, 1796000000000};
  const chain::ContractAbi& abi = chain::embedded_abi("AnchorRegistry");
  std::vector<std::uint8_t> session_id = from_hex("1b4e28ba2fa1411ab2c1a2f3e4d5c6b7").value();
  std::vector<std::uint8_t> owner(node.public_key().begin(), node.public_key().end());
  auto anchor_data =
      chain::encode_call(*abi.function("anchor"),
                         std::vector<chain::AbiValue>{
                             chain::AbiValue::bytes(session_id), chain::AbiValue::bytes(repeat(0x4d, 32)),
                             chain::AbiValue::bytes(repeat(0x52, 32)), chain::AbiValue::uint(3),
                             chain::AbiValue::uint(1796000000), chain::AbiValue::bytes(owner)})
          .value();
  auto chunks_data =
      chain::encode_call(
          *abi.function("anchorChunks"),
          std::vector<chain::AbiValue>{chain::AbiValue::bytes(session_id), chain::AbiValue::uint(1),
                                       chain::AbiValue::list({chain::AbiValue::bytes(repeat(0x01, 32)),
                                                              chain::AbiValue::bytes(repeat(0x02, 32))})})
          .value();
  chain::Transaction anchor{"lucid-vectors", {}, 0, "AnchorRegistry", anchor_data, {}};
  chain::sign_transaction(anchor, submitter);
  chain::Transaction chunks{"lucid-vectors", {}, 1, "AnchorRegistry", chunks_data, {}};
  chain::sign_transaction(chunks, submitter);

  chain::Block block = chain::make_block("lucid-vectors", 1, chain::genesis_hash(genesis), 1796000001000,
                                         {anchor, chunks}, validator);
  chain::State state;
  chain::Vm vm;
  auto receipts = vm.execute(state, block);
  json receipts_json = json::array();
  for (const auto& receipt : receipts) {
    json logs = json::array();
    for (const auto& entry : receipt.logs) {
      json topics = json::array();
      for (const auto& topic : entry.log.topics) {
        topics.push_back("0x" + to_hex(topic));
      }
      logs.push_back(
          {{"contract", entry.contract}, {"topics", topics}, {"data", "0x" + to_hex(entry.log.data)}});
    }
    receipts_json.push_back({{"transaction", to_hex(receipt.transaction)},
                             {"success", receipt.success},
                             {"error", receipt.error},
                             {"gas_used", receipt.gas_used},
                             {"logs", logs}});
  }
  chain::Hash root = state.root();
  chain::Vote vote = chain::make_vote("lucid-vectors", 1, chain::block_hash(block.header), root, validator);

  json state_json = json::object();
  for (const auto& [key, value] : state.entries()) {
    state_json[key] = to_hex(value);
  }
  json out = {
      {"generator", "tests/vectors/gen_chain_vectors.cc"},
      {"keys",
       {{"validator_seed", std::string(64, '1')},
        {"submitter_seed", std::string(64, '2')},
        {"node_seed", std::string(64, '3')}}},
      {"genesis",
       {{"json", chain::genesis_to_json(genesis)}, {"hash", to_hex(chain::genesis_hash(genesis))}}},
      {"transactions", json::array()},
      {"block",
       {{"json", chain::block_to_json(block)},
        {"signing_bytes", chain::block_signing_bytes(block.header)},
        {"hash", to_hex(chain::block_hash(block.header))}}},
      {"receipts", receipts_json},
      {"state", {{"entries", state_json}, {"root", to_hex(root)}}},
      {"vote", {{"json", chain::vote_to_json(vote)}, {"signing_bytes", chain::vote_signing_bytes(vote)}}},
  };
  for (const auto& tx : {anchor, chunks}) {
    out["transactions"].push_back({{"json", chain::transaction_to_json(tx)},
                                   {"signing_bytes", chain::transaction_signing_bytes(tx)},
                                   {"hash", to_hex(chain::transaction_hash(tx))}});
  }
  std::string text = out.dump(2) + "\n";
  auto written =
      write_file_atomic(argv[1], std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  if (!written) {
    std::fprintf(stderr, "%s\n", written.error().message.c_str());
    return 1;
  }
  return 0;
}
