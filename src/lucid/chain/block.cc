#include "lucid/chain/block.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/chain/signed_document.h"
#include "lucid/crypto/merkle.h"

namespace lucid::chain {
namespace {

using json = nlohmann::json;

constexpr std::string_view kGenesisDomain = "lucid-chain-genesis-v1\n";
constexpr std::string_view kBlockDomain = "lucid-chain-block-v1\n";
constexpr std::string_view kVoteDomain = "lucid-chain-vote-v1\n";
constexpr std::size_t kMaxHeaderStringBytes = 256;

json header_json(const BlockHeader& header) {
  return json{{"chain_id", header.chain_id},         {"height", header.height},
              {"previous", to_hex(header.previous)}, {"proposer", to_hex(header.proposer)},
              {"time_ms", header.time_ms},           {"tx_root", to_hex(header.tx_root)},
              {"tx_count", header.tx_count}};
}

json vote_body(const Vote& vote) {
  return json{{"chain_id", vote.chain_id},
              {"height", vote.height},
              {"block", to_hex(vote.block)},
              {"state_root", to_hex(vote.state_root)},
              {"validator", to_hex(vote.validator)}};
}

}  // namespace

Hash genesis_hash(const Genesis& genesis) {
  return crypto::blake3(bytes_of(signing_bytes(kGenesisDomain, genesis_to_json(genesis))));
}

json genesis_to_json(const Genesis& genesis) {
  json validators = json::array();
  for (const auto& key : genesis.validators) {
    validators.push_back(to_hex(key));
  }
  return json{{"chain_id", genesis.chain_id}, {"validators", validators}, {"time_ms", genesis.time_ms}};
}

Result<Genesis> parse_genesis(const json& document, const std::string& path) {
  if (auto ok = require_object(document, path); !ok) {
    return std::unexpected(ok.error());
  }
  JsonFields fields(document, path, kMaxHeaderStringBytes);
  Genesis genesis;
  LUCID_TRY_ASSIGN(genesis.chain_id, read_chain_id(fields));
  const json* list = nullptr;
  LUCID_TRY_ASSIGN(list, fields.get("validators", json::value_t::array));
  if (list->empty() || list->size() > kMaxValidators) {
    return std::unexpected(fields.error("validators", fmt::format("must list 1 to {} keys", kMaxValidators)));
  }
  std::set<crypto::Ed25519PublicKey> seen;
  for (std::size_t i = 0; i < list->size(); ++i) {
    crypto::Ed25519PublicKey key{};
    if (!(*list)[i].is_string() || !from_hex_into((*list)[i].get<std::string>(), key)) {
      return std::unexpected(
          fields.error(fmt::format("validators[{}]", i), "not a 64-hex Ed25519 public key"));
    }
    if (!seen.insert(key).second) {
      return std::unexpected(fields.error(fmt::format("validators[{}]", i), "listed twice"));
    }
    genesis.validators.push_back(key);
  }
  LUCID_TRY_ASSIGN(genesis.time_ms, read_document_integer(fields, "time_ms"));
  if (auto ok = fields.no_unknown_fields(); !ok) {
    return std::unexpected(ok.error());
  }
  return genesis;
}

std::size_t finality_quorum(std::size_t validators) {
  return (2 * validators + 2) / 3;
}

Hash block_tx_root(const std::vector<Transaction>& transactions) {
  std::vector<crypto::Digest> leaves;
  leaves.reserve(transactions.size());
  for (const Transaction& tx : transactions) {
    Hash hash = transaction_hash(tx);
    leaves.push_back(crypto::merkle_leaf_hash(hash));
  }
  return crypto::merkle_root(leaves);
}

std::string block_signing_bytes(const BlockHeader& header) {
  return signing_bytes(kBlockDomain, header_json(header));
}

Hash block_hash(const BlockHeader& header) {
  return crypto::blake3(bytes_of(block_signing_bytes(header)));
}

Block make_block(std::string chain_id, std::uint64_t height, const Hash& previous, std::uint64_t time_ms,
                 std::vector<Transaction> transactions, const crypto::Ed25519KeyPair& proposer) {
  Block block;
  block.header = BlockHeader{std::move(chain_id),   height,  previous,
                             proposer.public_key(), time_ms, block_tx_root(transactions),
                             transactions.size()};
  block.transactions = std::move(transactions);
  block.signature = proposer.sign(bytes_of(block_signing_bytes(block.header)));
  return block;
}

Status check_block(const Block& block) {
  const BlockHeader& header = block.header;
  auto refuse = [&](const std::string& what) {
    return fail(ErrorKind::kCorrupt, fmt::format("block {}: {}", header.height, what));
  };
  if (!crypto::ed25519_verify(header.proposer, bytes_of(block_signing_bytes(header)), block.signature)) {
    return refuse("the proposer's signature does not verify");
  }
  if (header.tx_count != block.transactions.size() || block.transactions.size() > kMaxBlockTransactions) {
    return refuse(fmt::format("tx_count {} but {} transactions (at most {})", header.tx_count,
                              block.transactions.size(), kMaxBlockTransactions));
  }
  if (block_tx_root(block.transactions) != header.tx_root) {
    return refuse("tx_root does not match its transactions");
  }
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const Transaction& tx = block.transactions[i];
    if (tx.chain_id != header.chain_id) {
      return refuse(fmt::format("transaction {} is for chain \"{}\"", i, tx.chain_id));
    }
    if (!transaction_signature_valid(tx)) {
      return refuse(fmt::format("transaction {}'s signature does not verify", i));
    }
  }
  return {};
}

json block_to_json(const Block& block) {
  json transactions = json::array();
  for (const Transaction& tx : block.transactions) {
    transactions.push_back(transaction_to_json(tx));
  }
  return json{{"header", header_json(block.header)},
              {"transactions", transactions},
              {"signature", to_hex(block.signature)}};
}

Result<Block> parse_block(const json& document, const std::string& path) {
  if (auto ok = require_object(document, path); !ok) {
    return std::unexpected(ok.error());
  }
  JsonFields fields(document, path, kMaxHeaderStringBytes);
  Block block;
  const json* header = nullptr;
  LUCID_TRY_ASSIGN(header, fields.get("header", json::value_t::object));
  JsonFields h(*header, fields.name("header"), kMaxHeaderStringBytes);
  LUCID_TRY_ASSIGN(block.header.chain_id, read_chain_id(h));
  LUCID_TRY_ASSIGN(block.header.height, read_document_integer(h, "height"));
  LUCID_TRY_ASSIGN(block.header.previous, h.hex_bytes<32>("previous"));
  LUCID_TRY_ASSIGN(block.header.proposer, h.hex_bytes<32>("proposer"));
  LUCID_TRY_ASSIGN(block.header.time_ms, read_document_integer(h, "time_ms"));
  LUCID_TRY_ASSIGN(block.header.tx_root, h.hex_bytes<32>("tx_root"));
  LUCID_TRY_ASSIGN(block.header.tx_count,
                   h.uint("tx_count", kMaxBlockTransactions, "the most transactions of a block"));
  if (auto ok = h.no_unknown_fields(); !ok) {
    return std::unexpected(ok.error());
  }
  const json* list = nullptr;
  LUCID_TRY_ASSIGN(list, fields.get("transactions", json::value_t::array));
  if (list->size() > kMaxBlockTransactions) {
    return std::unexpected(fields.error("transactions", fmt::format("more than {}", kMaxBlockTransactions)));
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto tx = parse_transaction((*list)[i], fmt::format("{}[{}]", fields.name("transactions"), i));
    if (!tx) {
      return std::unexpected(tx.error());
    }
    block.transactions.push_back(std::move(*tx));
  }
  LUCID_TRY_ASSIGN(block.signature, fields.hex_bytes<64>("signature"));
  if (auto ok = fields.no_unknown_fields(); !ok) {
    return std::unexpected(ok.error());
  }
  return block;
}

std::string vote_signing_bytes(const Vote& vote) {
  return signing_bytes(kVoteDomain, vote_body(vote));
}

Vote make_vote(std::string chain_id, std::uint64_t height, const Hash& block, const Hash& state_root,
               const crypto::Ed25519KeyPair& validator) {
  Vote vote{std::move(chain_id), height, block, state_root, validator.public_key(), {}};
  vote.signature = validator.sign(bytes_of(vote_signing_bytes(vote)));
  return vote;
}

bool vote_signature_valid(const Vote& vote) {
  return crypto::ed25519_verify(vote.validator, bytes_of(vote_signing_bytes(vote)), vote.signature);
}

json vote_to_json(const Vote& vote) {
  json out = vote_body(vote);
  out["signature"] = to_hex(vote.signature);
  return out;
}

Result<Vote> parse_vote(const json& document, const std::string& path) {
  if (auto ok = require_object(document, path); !ok) {
    return std::unexpected(ok.error());
  }
  JsonFields fields(document, path, kMaxHeaderStringBytes);
  Vote vote;
  LUCID_TRY_ASSIGN(vote.chain_id, read_chain_id(fields));
  LUCID_TRY_ASSIGN(vote.height, read_document_integer(fields, "height"));
  LUCID_TRY_ASSIGN(vote.block, fields.hex_bytes<32>("block"));
  LUCID_TRY_ASSIGN(vote.state_root, fields.hex_bytes<32>("state_root"));
  LUCID_TRY_ASSIGN(vote.validator, fields.hex_bytes<32>("validator"));
  LUCID_TRY_ASSIGN(vote.signature, fields.hex_bytes<64>("signature"));
  if (auto ok = fields.no_unknown_fields(); !ok) {
    return std::unexpected(ok.error());
  }
  return vote;
}

}  // namespace lucid::chain
