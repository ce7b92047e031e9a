// The contracts' JSON ABI files (src/lucid/chain/contracts/*.abi.json), compiled into the binary.
#pragma once

#include <string_view>
#include <vector>

namespace lucid::chain {

struct EmbeddedAbi {
  std::string_view contract;  // "AnchorRegistry"
  std::string_view json;      // the file's text
};

const std::vector<EmbeddedAbi>& embedded_contract_abis();

}  // namespace lucid::chain
