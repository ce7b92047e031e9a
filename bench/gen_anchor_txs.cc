// gen_anchor_txs: N signed AnchorRegistry.anchor transactions of one new sender (nonces 0..N-1, each
// a distinct session id), one JSON line each ({"hash", "transaction"}), for bench/chain_bench.py:
// Python's standard library has no Ed25519.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/transaction.h"
#include "lucid/crypto/blake3.h"
#include "lucid/crypto/ed25519.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

// The sender's first 8 key bytes, then the index big-endian: distinct within a run and across runs.
Bytes session_id(const lucid::crypto::Ed25519PublicKey& sender, std::uint64_t index) {
  Bytes id(sender.begin(), sender.begin() + 8);
  for (int shift = 56; shift >= 0; shift -= 8) id.push_back(static_cast<std::uint8_t>(index >> shift));
  return id;
}

Bytes digest_of(const Bytes& id, std::uint8_t domain) {
  Bytes input = id;
  input.push_back(domain);
  const auto digest = lucid::crypto::blake3(input);
  return {digest.begin(), digest.end()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gen_anchor_txs — signed AnchorRegistry.anchor transactions of one new sender, as JSON lines"};
  std::string chain_id;
  std::uint64_t count = 0;
  app.add_option("--chain-id", chain_id, "the chain the transactions are for")->required();
  app.add_option("--count", count, "how many (nonces 0..count-1)")->required()->check(CLI::Range(1, 1000000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  const auto sender = lucid::crypto::Ed25519KeyPair::generate();
  const lucid::chain::AbiFunction* anchor = lucid::chain::embedded_abi("AnchorRegistry").function("anchor");
  using lucid::chain::AbiValue;
  for (std::uint64_t nonce = 0; nonce < count; ++nonce) {
    const Bytes id = session_id(sender.public_key(), nonce);
    std::vector<AbiValue> arguments{
        AbiValue::bytes(id), AbiValue::bytes(digest_of(id, 'm')), AbiValue::bytes(digest_of(id, 'r')),
        AbiValue::uint(3),   AbiValue::uint(1796000000 + nonce),  AbiValue::bytes(Bytes(32, 0xee))};
    auto calldata = lucid::chain::encode_call(*anchor, arguments);
    if (!calldata) {
      fmt::print(stderr, "gen_anchor_txs: {}\n", calldata.error().message);
      return 1;
    }
    lucid::chain::Transaction tx{chain_id, {}, nonce, "AnchorRegistry", std::move(*calldata), {}};
    lucid::chain::sign_transaction(tx, sender);
    nlohmann::json line{{"hash", lucid::to_hex(lucid::chain::transaction_hash(tx))},
                        {"transaction", lucid::chain::transaction_to_json(tx)}};
    fmt::print("{}\n", line.dump());
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
