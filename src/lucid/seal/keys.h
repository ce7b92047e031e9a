// Key files of the data path (docs/formats.md): a node key (Ed25519 seed) with its public half in
// KEYFILE.pub, and a session key; each file holds 64 hex characters and optional '#' comment lines.
// Secret key files are created with mode 0600 and refused when group or others can read them.
#pragma once

#include <filesystem>

#include "lucid/base/result.h"
#include "lucid/crypto/ed25519.h"
#include "lucid/seal/format.h"

namespace lucid::seal {

// Writes KEYFILE (0600) and KEYFILE.pub (0644); refuses to overwrite an existing key.
Result<crypto::Ed25519KeyPair> generate_node_key(const std::filesystem::path& key_file);
Result<crypto::Ed25519KeyPair> load_node_key(const std::filesystem::path& key_file);
Result<crypto::Ed25519PublicKey> load_public_key(const std::filesystem::path& pub_file);

// A service's Ed25519 key: the seed (64 hex digits) in environment variable `seed_variable` when it
// is set — taken and wiped from the environment, so no child or /proc reader sees it — otherwise
// the key file `key_file` (0600, the node key format above). What a service that signs (a validator,
// the token issuer) starts with.
Result<crypto::Ed25519KeyPair> service_key(const char* seed_variable, const std::filesystem::path& key_file);

// Loads a session key; with `create_if_missing`, makes a fresh random one (0600) first.
Result<SessionKey> load_session_key(const std::filesystem::path& key_file, bool create_if_missing);

}  // namespace lucid::seal
