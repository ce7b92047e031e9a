// What every service of the data chain is configured with (docs/chain.md "Configuring the chain's
// services"): the chain's genesis and, for those that sign, a key. A cluster's config repo gives
// both through its .env (a key through seal::service_key) — the genesis spelled out (CHAIN_ID,
// CHAIN_VALIDATORS, CHAIN_GENESIS_TIME_MS), a key as an enc:sops reference to its seed — so no file needs to
// reach the container; a file is the alternative for hosts and tests.
#pragma once

#include <filesystem>
#include <string>

#include "lucid/base/result.h"
#include "lucid/chain/block.h"

namespace lucid::chain {

// A genesis file (lucid-blockchain-core genesis), parsed and checked.
Result<Genesis> load_genesis_file(const std::filesystem::path& path);

// The genesis a service runs with: when CHAIN_ID is set, the one spelled out by CHAIN_ID,
// CHAIN_VALIDATORS (comma-separated hex public keys) and CHAIN_GENESIS_TIME_MS (Unix ms, default
// 0); otherwise the file `genesis_file`. Every service of a cluster given the same .env derives the
// same genesis (and hash).
Result<Genesis> service_genesis(const std::filesystem::path& genesis_file);

}  // namespace lucid::chain
