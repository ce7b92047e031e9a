// SSH public keys (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa): parsing the wire blob,
// the SHA256 fingerprint as ssh-keygen -l prints it, and checking an SSH signature blob.
#pragma once

#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/gitsig/ssh_wire.h"

namespace lucid::gitsig {

struct SshPublicKey {
  std::string type;  // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", …
  Bytes blob;        // the whole wire encoding; two keys are the same key iff their blobs are equal

  bool operator==(const SshPublicKey&) const = default;
};

// Parses and checks a public key blob. Unsupported types (security keys, certificates, DSA) are
// kInvalidArgument naming the type.
Result<SshPublicKey> parse_public_key(ByteSpan blob);
// "ssh-ed25519 AAAA…" (as in allowed_signers or a .pub file, without a comment).
Result<SshPublicKey> parse_public_key_text(std::string_view type, std::string_view base64);

// "SHA256:" + unpadded base64 of SHA-256(blob), as `ssh-keygen -l` prints it.
std::string fingerprint_sha256(const SshPublicKey& key);
// "ED25519", "ECDSA", "RSA": the label ssh-keygen -l prints in parentheses.
std::string key_label(const SshPublicKey& key);

// True for the type names this module can verify.
bool is_supported_key_type(std::string_view type);
// True for every key type name OpenSSH knows (to tell a key type from an options field).
bool looks_like_key_type(std::string_view type);

// Checks an SSH signature blob (string sig-type, string sig-bytes) by `key` over `data`.
// kAuthentication when the signature does not verify; kCorrupt when it is malformed.
Status verify_ssh_signature(const SshPublicKey& key, ByteSpan signature_blob, ByteSpan data);

}  // namespace lucid::gitsig
