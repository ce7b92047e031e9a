#include "lucid/chain/transaction.h"

#include <fmt/format.h>

#include <algorithm>

#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/chain/signed_document.h"

namespace lucid::chain {
namespace {

using json = nlohmann::json;

constexpr std::string_view kTransactionDomain = "lucid-chain-tx-v1\n";

json body_json(const Transaction& tx) {
  return json{{"chain_id", tx.chain_id},
              {"from", to_hex(tx.from)},
              {"nonce", tx.nonce},
              {"contract", tx.contract},
              {"data", "0x" + to_hex(tx.data)}};
}

}  // namespace

bool valid_chain_id(std::string_view text) {
  return !text.empty() && text.size() <= kMaxChainIdBytes && std::ranges::all_of(text, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool valid_contract_name(std::string_view text) {
  return !text.empty() && text.size() <= kMaxContractNameBytes && std::ranges::all_of(text, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

std::string transaction_signing_bytes(const Transaction& tx) {
  return signing_bytes(kTransactionDomain, body_json(tx));
}

Hash transaction_hash(const Transaction& tx) {
  return crypto::blake3(bytes_of(transaction_signing_bytes(tx)));
}

void sign_transaction(Transaction& tx, const crypto::Ed25519KeyPair& sender) {
  tx.from = sender.public_key();
  tx.signature = sender.sign(bytes_of(transaction_signing_bytes(tx)));
}

bool transaction_signature_valid(const Transaction& tx) {
  return crypto::ed25519_verify(tx.from, bytes_of(transaction_signing_bytes(tx)), tx.signature);
}

json transaction_to_json(const Transaction& tx) {
  json out = body_json(tx);
  out["signature"] = to_hex(tx.signature);
  return out;
}

Result<Transaction> parse_transaction(const json& document, const std::string& path) {
  if (auto ok = require_object(document, path); !ok) {
    return std::unexpected(ok.error());
  }
  // The longest string is the calldata's hex.
  JsonFields fields(document, path, 2 + 2 * kMaxCalldataBytes);
  Transaction tx;
  LUCID_TRY_ASSIGN(tx.chain_id, read_chain_id(fields));
  LUCID_TRY_ASSIGN(tx.from, fields.hex_bytes<32>("from"));
  LUCID_TRY_ASSIGN(tx.nonce, read_document_integer(fields, "nonce"));
  LUCID_TRY_ASSIGN(tx.contract, fields.string("contract"));
  if (!valid_contract_name(tx.contract)) {
    return std::unexpected(fields.error("contract", "must be 1-64 letters and digits"));
  }
  std::string data;
  LUCID_TRY_ASSIGN(data, fields.string("data"));
  if (!data.starts_with("0x")) {
    return std::unexpected(fields.error("data", "must be \"0x\" followed by hex"));
  }
  auto bytes = from_hex(std::string_view(data).substr(2));
  if (!bytes) {
    return std::unexpected(fields.error("data", bytes.error().message));
  }
  tx.data = std::move(*bytes);
  LUCID_TRY_ASSIGN(tx.signature, fields.hex_bytes<64>("signature"));
  if (auto ok = fields.no_unknown_fields(); !ok) {
    return std::unexpected(ok.error());
  }
  return tx;
}

}  // namespace lucid::chain
