// OpenSSH signatures (PROTOCOL.sshsig, version 1): the armored "SSH SIGNATURE" block, its fields,
// and verification of a message under an expected namespace. Who may sign is decided elsewhere.
#pragma once

#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/gitsig/ssh_key.h"
#include "lucid/gitsig/ssh_wire.h"

namespace lucid::gitsig {

struct SshSignature {
  SshPublicKey public_key;
  std::string ns;  // the namespace ("git" for commits, "file" for ssh-keygen -Y sign -n file)
  Bytes reserved;
  std::string hash_algorithm;  // "sha256" or "sha512"
  Bytes signature;             // SSH signature blob: string sig-type, string sig-bytes
};

// Strips the "-----BEGIN SSH SIGNATURE-----" armor and decodes the base64 between the markers.
Result<Bytes> dearmor_sshsig(std::string_view armored);
// Parses the binary SSHSIG blob (magic, version 1, fields).
Result<SshSignature> parse_sshsig(ByteSpan blob);
// dearmor + parse.
Result<SshSignature> parse_armored_sshsig(std::string_view armored);

// The bytes the signer signed: "SSHSIG" ‖ string(ns) ‖ string(reserved) ‖ string(hash_alg) ‖
// string(H(message)).
Result<Bytes> sshsig_signed_data(const SshSignature& sig, ByteSpan message);

// Checks that `sig` is over `message` in `expected_namespace` by sig.public_key. Errors:
// kInvalidArgument for a different namespace, kAuthentication when the signature does not verify
// (the message was changed), kCorrupt for malformed fields.
Status verify_sshsig(const SshSignature& sig, ByteSpan message, std::string_view expected_namespace);

}  // namespace lucid::gitsig
