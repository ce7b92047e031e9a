// `secrets edit`: decrypt to a private temporary file (0600 in a 0700 directory, on tmpfs when
// /dev/shm is writable), run an editor on it, re-encrypt only what changed, remove the temporary.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/crypto/age_keys.h"

namespace lucid::sops {

enum class SopsEditOutcome { kUnchanged, kRewritten };

// `editor` is the command (split on spaces, as $EDITOR usually is); the temporary file's path is
// appended. The file is rewritten atomically, only when the editor exits 0 and the text changed.
Result<SopsEditOutcome> sops_edit_file(const std::filesystem::path& file,
                                       std::span<const crypto::X25519Identity> identities,
                                       const std::string& editor);

// The directory private temporaries go to: /dev/shm when writable, else $TMPDIR, else /tmp.
std::filesystem::path sops_private_tmp_root();

}  // namespace lucid::sops
