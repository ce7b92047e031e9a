// Transactions, blocks, votes and genesis of lucid::chain: the committed vectors
// (tests/vectors/chain/ledger.json) reproduce byte for byte, their hashes agree with b3sum and their
// signatures with OpenSSL's Ed25519 (both independent of the library's BLAKE3 and libsodium), and
// the strict parsers refuse what is malformed.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lucid/base/hex.h"
#include "lucid/chain/block.h"
#include "lucid/chain/vm.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

using json = nlohmann::json;

json vectors() {
  std::ifstream in(testing::project_vectors_dir() / "chain" / "ledger.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// Ed25519 verification by OpenSSL, not libsodium.
bool openssl_verify(const std::string& public_hex, const std::string& signature_hex,
                    const std::string& message) {
  auto key = from_hex(public_hex).value();
  auto signature = from_hex(signature_hex).value();
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = pkey != nullptr && ctx != nullptr &&
            EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, signature.data(), signature.size(),
                             reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

// BLAKE3 by b3sum (the Rust implementation), not the library's C one.
std::string b3sum(const std::string& message) {
  testing::ScratchDir dir;
  auto path = dir / "message";
  testing::write_bytes(path, std::vector<std::uint8_t>(message.begin(), message.end()));
  auto run = testing::run({"b3sum", "--no-names", path.string()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run.out.substr(0, run.out.find('\n'));
}

TEST(ChainVectors, TransactionsReproduceAndAgreeWithB3sumAndOpenSsl) {
  if (!testing::have_program("b3sum")) {
    GTEST_SKIP() << "b3sum is not installed (scripts/bootstrap installs it)";
  }
  json document = vectors();
  ASSERT_EQ(document["transactions"].size(), 2u);
  for (const json& vector : document["transactions"]) {
    auto tx = parse_transaction(vector["json"]);
    ASSERT_TRUE(tx) << tx.error().message;
    EXPECT_EQ(transaction_to_json(*tx), vector["json"]);
    std::string signing = transaction_signing_bytes(*tx);
    EXPECT_EQ(signing, vector["signing_bytes"].get<std::string>());
    EXPECT_EQ(to_hex(transaction_hash(*tx)), vector["hash"].get<std::string>());
    EXPECT_EQ(b3sum(signing), vector["hash"].get<std::string>());
    EXPECT_TRUE(transaction_signature_valid(*tx));
    EXPECT_TRUE(openssl_verify(vector["json"]["from"], vector["json"]["signature"], signing));
  }
}

TEST(ChainVectors, BlockVoteAndGenesisReproduce) {
  if (!testing::have_program("b3sum")) {
    GTEST_SKIP() << "b3sum is not installed (scripts/bootstrap installs it)";
  }
  json document = vectors();
  auto genesis = parse_genesis(document["genesis"]["json"]);
  ASSERT_TRUE(genesis) << genesis.error().message;
  EXPECT_EQ(to_hex(genesis_hash(*genesis)), document["genesis"]["hash"].get<std::string>());

  auto block = parse_block(document["block"]["json"]);
  ASSERT_TRUE(block) << block.error().message;
  EXPECT_EQ(block_to_json(*block), document["block"]["json"]);
  EXPECT_TRUE(check_block(*block));
  EXPECT_EQ(block->header.previous, genesis_hash(*genesis));
  std::string signing = block_signing_bytes(block->header);
  EXPECT_EQ(signing, document["block"]["signing_bytes"].get<std::string>());
  EXPECT_EQ(b3sum(signing), document["block"]["hash"].get<std::string>());
  EXPECT_TRUE(openssl_verify(document["block"]["json"]["header"]["proposer"],
                             document["block"]["json"]["signature"], signing));

  auto vote = parse_vote(document["vote"]["json"]);
  ASSERT_TRUE(vote) << vote.error().message;
  EXPECT_EQ(vote_to_json(*vote), document["vote"]["json"]);
  EXPECT_TRUE(vote_signature_valid(*vote));
  EXPECT_EQ(vote_signing_bytes(*vote), document["vote"]["signing_bytes"].get<std::string>());
  EXPECT_TRUE(openssl_verify(document["vote"]["json"]["validator"], document["vote"]["json"]["signature"],
                             vote_signing_bytes(*vote)));
  EXPECT_EQ(to_hex(vote->block), document["block"]["hash"].get<std::string>());
}

TEST(ChainVectors, ExecutingTheBlockGivesTheRecordedStateAndReceipts) {
  json document = vectors();
  auto block = parse_block(document["block"]["json"]).value();
  State state;
  Vm vm;
  auto receipts = vm.execute(state, block);
  ASSERT_EQ(receipts.size(), document["receipts"].size());
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    const json& expected = document["receipts"][i];
    EXPECT_EQ(receipts[i].success, expected["success"].get<bool>()) << receipts[i].error;
    EXPECT_EQ(receipts[i].gas_used, expected["gas_used"].get<std::uint64_t>());
    EXPECT_EQ(to_hex(receipts[i].transaction), expected["transaction"].get<std::string>());
    ASSERT_EQ(receipts[i].logs.size(), expected["logs"].size());
    for (std::size_t j = 0; j < receipts[i].logs.size(); ++j) {
      EXPECT_EQ("0x" + to_hex(receipts[i].logs[j].log.data), expected["logs"][j]["data"].get<std::string>());
    }
  }
  json entries = json::object();
  for (const auto& [key, value] : state.entries()) {
    entries[key] = to_hex(value);
  }
  EXPECT_EQ(entries, document["state"]["entries"]);
  EXPECT_EQ(to_hex(state.root()), document["state"]["root"].get<std::string>());
  EXPECT_EQ(to_hex(parse_vote(document["vote"]["json"]).value().state_root),
            document["state"]["root"].get<std::string>());
}

TEST(ChainFormats, StrictParsersNameWhatIsWrong) {
  json document = vectors();
  json tx = document["transactions"][0]["json"];
  auto refused = [](const Result<Transaction>& parsed, std::string_view needle) {
    ASSERT_FALSE(parsed) << needle;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kCorrupt);
    EXPECT_NE(parsed.error().message.find(needle), std::string::npos) << parsed.error().message;
  };
  json bad = tx;
  bad["extra"] = 1;
  refused(parse_transaction(bad), "transaction.extra: unknown field");
  bad = tx;
  bad.erase("nonce");
  refused(parse_transaction(bad), "transaction.nonce: missing");
  bad = tx;
  bad["nonce"] = std::uint64_t{1} << 53;
  refused(parse_transaction(bad), "transaction.nonce");
  bad = tx;
  bad["chain_id"] = "Upper";
  refused(parse_transaction(bad), "transaction.chain_id");
  bad = tx;
  bad["contract"] = "a/b";
  refused(parse_transaction(bad), "transaction.contract");
  bad = tx;
  bad["data"] = "0a73";
  refused(parse_transaction(bad), "transaction.data");
  bad = tx;
  bad["data"] = "0x" + std::string(2 * kMaxCalldataBytes + 2, '0');
  refused(parse_transaction(bad), "at most");
  bad = tx;
  bad["from"] = "00";
  refused(parse_transaction(bad), "transaction.from");
  EXPECT_FALSE(parse_transaction(json::array()));

  // A transaction changed after signing no longer verifies, and a block carrying it is refused.
  auto changed = parse_transaction(tx).value();
  changed.data.back() ^= 1;
  EXPECT_FALSE(transaction_signature_valid(changed));
  auto block = parse_block(document["block"]["json"]).value();
  Block tampered = block;
  tampered.transactions[0] = changed;
  auto check = check_block(tampered);
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("tx_root"), std::string::npos) << check.error().message;
  tampered = block;
  tampered.header.time_ms += 1;
  EXPECT_FALSE(check_block(tampered));  // the proposer's signature covers the header
  json extra_tx = document["block"]["json"];
  extra_tx["transactions"].push_back(tx);
  auto parsed = parse_block(extra_tx).value();
  EXPECT_FALSE(check_block(parsed));  // tx_count no longer matches

  json genesis = document["genesis"]["json"];
  genesis["validators"].push_back(genesis["validators"][0]);
  auto duplicate = parse_genesis(genesis);
  ASSERT_FALSE(duplicate);
  EXPECT_NE(duplicate.error().message.find("listed twice"), std::string::npos);
  genesis["validators"] = json::array();
  EXPECT_FALSE(parse_genesis(genesis));
}

TEST(ChainFormats, FinalityNeedsAtLeastTwoThirds) {
  EXPECT_EQ(finality_quorum(1), 1u);
  EXPECT_EQ(finality_quorum(2), 2u);
  EXPECT_EQ(finality_quorum(3), 2u);
  EXPECT_EQ(finality_quorum(4), 3u);
  EXPECT_EQ(finality_quorum(7), 5u);
}

}  // namespace
}  // namespace lucid::chain
