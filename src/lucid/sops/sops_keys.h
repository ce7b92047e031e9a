// Where a site's age identities come from, never argv: an identity file (`--identity F`), the
// key text itself in $AGE_PRIVATE_KEY (SPEC-4) or $SOPS_AGE_KEY, or a file named by $SOPS_AGE_KEY_FILE.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/crypto/age_keys.h"

namespace lucid::sops {

// The identities from the first source that is set, in the order: `identity_file`,
// AGE_PRIVATE_KEY, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE. nullopt when none is set. Messages name the
// source (the variable or file), never the key text. AGE_PRIVATE_KEY and SOPS_AGE_KEY are removed
// from the environment (their bytes wiped) on every call: a later call no longer finds them.
Result<std::optional<std::vector<crypto::X25519Identity>>> sops_load_identities(
    const std::optional<std::filesystem::path>& identity_file);

}  // namespace lucid::sops
