// A whole SOPS file: parse/serialize (YAML, JSON, dotenv), the "well formed and fully encrypted"
// check, decryption with MAC verification, encryption, and re-encryption of only what changed.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/crypto/age_keys.h"
#include "lucid/sops/sops_metadata.h"
#include "lucid/sops/sops_store.h"
#include "lucid/sops/sops_tree.h"

namespace lucid::sops {

struct SopsFile {
  SopsFormat format = SopsFormat::kYaml;
  SopsNode data;  // the document without its `sops` block; encrypted values are ENC[...] strings
  SopsMetadata meta;
};

// kInvalidArgument "<name>: not a SOPS file: …" when there is no `sops` metadata.
Result<SopsFile> sops_parse(std::string_view text, SopsFormat format, const std::string& name);
Result<std::string> sops_serialize(const SopsFile& file);

// Well formed (metadata, armored age stanzas, ENC[] syntax) and every selected value encrypted.
// Needs no key. Errors list the offending key paths (never values).
Status sops_check(const SopsFile& file, const std::string& name);

// The plaintext tree plus what re-encryption needs (data key, IVs of the values as they were).
struct SopsPlain {
  SopsNode data;
  SopsDataKey key;
  SopsIvStash stash;
};

// Unwraps the data key, decrypts every value and verifies the MAC. All or nothing.
Result<SopsPlain> sops_decrypt(const SopsFile& file, std::span<const crypto::X25519Identity> identities,
                               const std::string& name);

// Encrypts a plaintext mapping to `recipients` under `rules` (none set: unencrypted_suffix).
Result<SopsFile> sops_encrypt(SopsNode plain, SopsFormat format,
                              std::span<const crypto::X25519Recipient> recipients, const SopsRules& rules);

// Re-encrypts `edited` with the original data key and metadata: values unchanged since `before`
// keep their exact ENC[] strings (same IV); lastmodified and the MAC are renewed.
Result<SopsFile> sops_reencrypt(const SopsFile& original, const SopsPlain& before, SopsNode edited);

// The node at a dotted key path ("s3.access_key"; a number indexes a sequence); nullptr if absent.
const SopsNode* sops_lookup(const SopsNode& data, std::string_view dotted);

}  // namespace lucid::sops
