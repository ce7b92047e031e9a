// Files compiled into the binary at build time (embed_files.cmake), so that it carries what it must
// agree with: the contracts' JSON ABI files and the ABI vectors ethers made from them.
#pragma once

#include <string_view>
#include <vector>

namespace lucid::chain {

struct EmbeddedFile {
  std::string_view name;  // the file's name up to its first dot ("AnchorRegistry")
  std::string_view text;  // its text
};

// src/lucid/chain/contracts/*.abi.json, named by contract.
const std::vector<EmbeddedFile>& embedded_contract_abis();
// tests/vectors/chain/abi.json (one file, "abi"): what the VM's ABI self-test checks its codec against.
const std::vector<EmbeddedFile>& embedded_abi_vectors();

}  // namespace lucid::chain
