// A transaction of the data chain (docs/formats.md "Data chain: transactions, blocks, votes"): a
// signed call of one contract. Its hash covers everything but the signature; the signature is
// Ed25519 by the sender over the same domain-separated canonical bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/crypto/blake3.h"
#include "lucid/crypto/ed25519.h"

namespace lucid::chain {

using Hash = crypto::Digest;

// Bounds that make a transaction cheap to refuse: they are checked before anything is decoded.
inline constexpr std::size_t kMaxCalldataBytes = std::size_t{128} * 1024;
inline constexpr std::size_t kMaxChainIdBytes = 64;
inline constexpr std::size_t kMaxContractNameBytes = 64;

struct Transaction {
  std::string chain_id;             // the chain this call is for ([a-z0-9-], at most 64)
  crypto::Ed25519PublicKey from{};  // the sender, who signs
  std::uint64_t nonce = 0;          // the sender's next nonce (0, 1, 2, ...): no replay, no reorder
  std::string contract;             // the called contract's name ("AnchorRegistry")
  std::vector<std::uint8_t> data;   // Solidity ABI calldata
  crypto::Ed25519Signature signature{};
};

// "lucid-chain-tx-v1\n" ‖ RFC 8785 canonical JSON of the transaction without "signature".
std::string transaction_signing_bytes(const Transaction& tx);
// BLAKE3 of the signing bytes: the transaction's id.
Hash transaction_hash(const Transaction& tx);
void sign_transaction(Transaction& tx, const crypto::Ed25519KeyPair& sender);
bool transaction_signature_valid(const Transaction& tx);

nlohmann::json transaction_to_json(const Transaction& tx);
// Strict: exactly the members of the format, their types and bounds; the signature is not checked
// here (transaction_signature_valid). `path` names the document in errors.
Result<Transaction> parse_transaction(const nlohmann::json& json, const std::string& path = "transaction");

// Checks the shape of a chain id or contract name ([a-z0-9-] / [A-Za-z0-9]) and its length.
bool valid_chain_id(std::string_view text);
bool valid_contract_name(std::string_view text);

}  // namespace lucid::chain
