// The `sops` metadata block: age key groups (the data key wrapped for each recipient as armored
// age), lastmodified, the encrypted MAC, the encryption selectors and the format version.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/crypto/age_keys.h"
#include "lucid/sops/sops_tree.h"
#include "lucid/sops/sops_value.h"

namespace lucid::sops {

// The SOPS file-format version Lucid writes (the layout matches what sops 3.9 writes and reads).
inline constexpr const char* kSopsFormatVersion = "3.9.0";

struct SopsAgeKey {
  std::string recipient;  // "age1…"
  std::string enc;        // armored age file holding the 32-byte data key
};

struct SopsMetadata {
  std::vector<std::vector<SopsAgeKey>> groups;  // key groups; one unless `key_groups` lists several
  bool key_groups_form = false;                 // written as `key_groups:` rather than top-level `age:`
  int shamir_threshold = 0;
  std::string lastmodified;  // RFC 3339, as written
  std::string mac;           // ENC[...] of the uppercase hex MAC, AAD = lastmodified
  SopsRules rules;           // as written (all empty means the default unencrypted_suffix)
  std::string version;
  std::vector<std::string> unusable;  // non-empty key lists of other kinds (pgp, kms, …) — reported, not used

  // The rules in effect: the written ones, or unencrypted_suffix "_unencrypted" when none is set.
  SopsRules effective_rules() const;
};

// Reads the `sops` mapping (YAML/JSON; dotenv after unflattening). Messages name the field.
Result<SopsMetadata> sops_metadata_from_node(const SopsNode& node);
// The mapping in the field order sops writes. `json`: empty key lists are null (Go's nil slices).
SopsNode sops_metadata_to_node(const SopsMetadata& meta, bool json);

// The AAD of the MAC: lastmodified parsed as RFC 3339 and written back as Go's time.RFC3339 does
// (fraction dropped, a zero offset as "Z"). kCorrupt when it is not an RFC 3339 time.
Result<std::string> sops_lastmodified_aad(const std::string& lastmodified);
// Now, UTC, "YYYY-MM-DDTHH:MM:SSZ".
std::string sops_now();

// Unwraps the data key with the first identity that opens an age stanza of the (single) key group.
// Errors name the stanza (sops.age[i]) and say whether no identity matched (wrong key) or a stanza
// meant for the given identity is damaged.
Result<SopsDataKey> sops_unwrap_data_key(const SopsMetadata& meta,
                                         std::span<const crypto::X25519Identity> identities);
// One armored age file per recipient, each wrapping `key`.
Result<std::vector<SopsAgeKey>> sops_wrap_data_key(const SopsDataKey& key,
                                                   std::span<const crypto::X25519Recipient> recipients);

}  // namespace lucid::sops
