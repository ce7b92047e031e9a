// The VM's ABI self-test (`lucid-blockchain-virtual-machine abi-tests`, GET /v1/abi-tests, and
// `lucidctl accept`'s blockchain.vm-abi-tests): the vectors ethers made (tests/vectors/chain/abi.json,
// built into the binary) encoded and decoded by this build's codec byte for byte, and the platform's
// contracts executed on a scratch state. The per-vector comparisons are also what chain_abi_test runs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/chain/contract_abi.h"

namespace lucid::chain {

struct AbiCaseResult {
  std::string name;  // "call AnchorRegistry.anchor", "AnchorRegistry: anchor then getAnchor"
  bool ok = false;
  std::string detail;  // what was checked, or the first difference found
};

struct AbiSelfTestReport {
  std::vector<AbiCaseResult> cases;

  std::size_t passed() const;
  std::size_t failed() const;
  // {"passed", "failed", "cases": [{"name", "ok", "detail"}]} (docs/formats.md, the VM's API).
  nlohmann::json to_json() const;
};

// One vector of the file against the codec. Each returns what it checked, or an error (kCorrupt)
// naming the first difference from ethers; a malformed vector is such an error too, never a throw.
// A "codec" vector: its values encode to its bytes, which decode back to its values.
Result<std::string> check_codec_vector(const nlohmann::json& vector);
// A "functions" vector against `abi` (the interface of the contract it names): signature, selector,
// the calldata of its arguments, and the arguments decoded back from ethers' calldata.
Result<std::string> check_function_vector(const nlohmann::json& vector, const ContractAbi& abi);
// An "events" vector against `abi`: signature, topic, the log of its arguments (topics and data), and
// ethers' log decoded (an indexed string or bytes argument as its keccak256, as ethers reports it).
Result<std::string> check_event_vector(const nlohmann::json& vector, const ContractAbi& abi);

// Every vector of `vectors` (the whole document; "Probe" vectors against its `probe_abi`, the others
// against the VM's contracts), whether the vectors cover every member of every contract, and the
// execution cases on a scratch state with a fixed key: anchor then getAnchor, a second anchor of one
// session reverting, ParamRegistry's defaults and bounds, Governance.propose out of bounds reverting,
// and the payout routers: a non-recorder's batch reverting, a batch recorded and read back, an
// over-payment reverting, receipts to settlement, PRKYC refusing a batch without a KYC root.
AbiSelfTestReport run_abi_self_test(const nlohmann::json& vectors);
// The same with the vectors built into the binary (embedded_abi_vectors()).
AbiSelfTestReport run_abi_self_test();

}  // namespace lucid::chain
