// What the chain's process and deployed suites share: a small client of lucid-blockchain-core's API
// (docs/formats.md "Data chain: the API of lucid-blockchain-core") addressed by base URL
// ("http://IP:PORT"), anchor transactions, and the check that validators hold one chain.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/chain/abi_value.h"
#include "lucid/chain/transaction.h"
#include "lucid/chain/vm.h"
#include "lucid/crypto/ed25519.h"

namespace lucid::chain::test_client {

// A key pair whose 32-byte seed is `fill` repeated: the same keys on every run.
crypto::Ed25519KeyPair fixed_key(std::uint8_t fill);

// GET `url` as JSON; nullopt when unreachable or not JSON. `status` receives the HTTP status.
std::optional<nlohmann::json> get_json(const std::string& url, long* status = nullptr);

// An AnchorRegistry.anchor of session id 16 × `session` with Merkle root 32 × `session`, signed by `sender`.
Transaction anchor_transaction(const crypto::Ed25519KeyPair& sender, std::uint64_t nonce,
                               std::uint8_t session, const std::string& chain_id = "lucid-test");

// A call of `contract`.`function` (its embedded ABI) with `arguments`, signed by `sender`.
Transaction call_transaction(const crypto::Ed25519KeyPair& sender, std::uint64_t nonce,
                             const std::string& contract, const std::string& function,
                             const std::vector<AbiValue>& arguments,
                             const std::string& chain_id = "lucid-test");

// The types of `function`'s outputs, to decode what it returns.
std::vector<AbiType> output_types(const AbiFunction& function);
// A view call of `contract`.`function` (its embedded ABI) against `state` at `height`, its outputs decoded.
Result<std::vector<AbiValue>> view(const Vm& vm, const State& state, const std::string& contract,
                                   const std::string& function, const std::vector<AbiValue>& arguments,
                                   std::uint64_t height);

// POST /v1/transactions; the HTTP status (0 when unreachable).
long submit(const std::string& base, const Transaction& tx);
// GET /v1/transactions/<hash> once it is final there; nullopt before.
std::optional<nlohmann::json> final_receipt(const std::string& base, const Transaction& tx);
// GET /v1/status ({} when unreachable).
nlohmann::json status(const std::string& base);
// GET /health answers 200.
bool healthy(const std::string& base);

// Every validator serves the same block hash and state root at every height up to the lowest head
// (gtest failures name the height and the validator).
void expect_one_chain(const std::vector<std::string>& bases);

// GET /v1/anchors/<session> and checks its proof: the entry verifies to the state root and at least
// `quorum` valid votes signed that root. Returns the anchor document (gtest failures otherwise).
nlohmann::json expect_proven_anchor(const std::string& base, std::uint8_t session, std::size_t quorum);

// A block after the head of the validator at `base`, signed by a key outside the validator set and
// with its transaction altered after signing, put straight into etcd at `key_prefix` (bypassing every
// proposer). Then every validator in `bases` must refuse it: halted on an invalid-block incident,
// health failing, the block not executed; and each one's incident is in etcd.
void expect_tampered_block_refused(const std::vector<std::string>& etcd_urls, const std::string& key_prefix,
                                   const std::vector<std::string>& bases, const Transaction& inside);

}  // namespace lucid::chain::test_client
