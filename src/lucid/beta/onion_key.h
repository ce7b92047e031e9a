// Tor v3 onion identities: an Ed25519 seed per plane, the 64-byte expanded key that tor's ADD_ONION
// takes (ED25519-V3), and its address (crypto/onion_address.h).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/base/secret.h"
#include "lucid/base/secret_bytes.h"
#include "lucid/crypto/onion_address.h"
#include "lucid/crypto/x25519.h"

namespace lucid::beta {

// The address format lives in crypto (lint and render check pinned addresses with it).
using crypto::base32_lower;
using crypto::onion_address;
using crypto::OnionPublicKey;
using crypto::parse_onion_address;

class OnionIdentity {
 public:
  static OnionIdentity from_seed(const SecretArray<32>& seed);
  static OnionIdentity generate();

  const OnionPublicKey& public_key() const { return public_key_; }
  std::string address() const { return onion_address(public_key_); }
  const SecretArray<32>& seed() const { return seed_; }
  // SHA-512(seed) with the scalar clamped: the 64 bytes tor keeps as an expanded secret key.
  const SecretArray<64>& expanded() const { return expanded_; }
  // "ED25519-V3:<base64 of expanded>": secret, for the control connection only.
  SecretBytes tor_key_spec() const;
  // The plane's Tor v3 client authorization key (X25519): HKDF-SHA256 of the seed with info
  // "lucid-beta-client-auth-v1", so it needs no file of its own and lives as long as the onion key.
  // Other clusters' onions of this plane authorize its public key (docs/formats.md "Onion pins").
  crypto::X25519SecretKey client_auth_secret() const;
  crypto::ClientAuthPublicKey client_auth_public_key() const;
  // "x25519:<base64 of client_auth_secret>": secret, for ONION_CLIENT_AUTH_ADD only.
  SecretBytes tor_client_auth_spec() const;

 private:
  SecretArray<32> seed_;
  SecretArray<64> expanded_;
  OnionPublicKey public_key_{};
};

// `<key_dir>/<cluster_id>/<plane>.onion-key`; names must be [a-z0-9_-]{1,63}.
Result<std::filesystem::path> identity_path(const std::filesystem::path& key_dir, std::string_view cluster_id,
                                            std::string_view plane);

// Reads a key file: refuses one that group or others may read, or that is not exactly the v1 text
// "lucid-beta-onion-key-v1 <64 hex>\n". Errors never contain key material.
Result<OnionIdentity> load_identity(const std::filesystem::path& path);
// Writes the key file whole-or-nothing with mode 0600 (directories 0700).
Status save_identity(const std::filesystem::path& path, const OnionIdentity& identity);
// Loads the plane's identity, creating and saving a fresh one only when the file does not exist.
Result<OnionIdentity> load_or_create_identity(const std::filesystem::path& key_dir,
                                              std::string_view cluster_id, std::string_view plane);

}  // namespace lucid::beta
