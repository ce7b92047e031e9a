// The SOPS data tree (ordered mappings, sequences, typed scalars) and the two walks over it:
// encrypt and decrypt, each computing the MAC — SHA-512 over the values in document order.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/sops/sops_value.h"

namespace lucid::sops {

// A node. Scalars hold `text` in SOPS's canonical text form for their type (what is encrypted and
// MACed): str/bytes as is, int in decimal, float as Go's FormatFloat(f,'f',-1), bool "True"/"False",
// null empty. In an encrypted tree, encrypted scalars are kStr holding "ENC[...]" (or "").
// The text is wiped when the node is destroyed.
struct SopsNode {
  enum class Kind { kScalar, kMapping, kSequence };
  Kind kind = Kind::kScalar;
  SopsType type = SopsType::kNull;
  std::string text;
  std::vector<std::pair<std::string, SopsNode>> entries;
  std::vector<SopsNode> items;

  SopsNode() = default;
  SopsNode(const SopsNode&) = default;
  SopsNode(SopsNode&&) noexcept = default;
  SopsNode& operator=(const SopsNode&) = default;
  SopsNode& operator=(SopsNode&&) noexcept = default;
  ~SopsNode();

  static SopsNode scalar(SopsType type, std::string text);
  static SopsNode mapping() {
    SopsNode n;
    n.kind = Kind::kMapping;
    return n;
  }
  static SopsNode sequence() {
    SopsNode n;
    n.kind = Kind::kSequence;
    return n;
  }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_mapping() const { return kind == Kind::kMapping; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  const SopsNode* find(std::string_view key) const;
  SopsNode* find(std::string_view key);
};

// Which values are encrypted: SOPS's four mutually exclusive selectors (the default, when none is
// set, is unencrypted_suffix "_unencrypted") and mac_only_encrypted.
struct SopsRules {
  std::string unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex;
  bool mac_only_encrypted = false;
  // kInvalidArgument when more than one selector is set or a regex does not compile.
  Status validate() const;
  // SOPS's shouldBeEncrypted over the key path (sequence items share their parent's path).
  bool should_encrypt(const std::vector<std::string>& path) const;
};

// "a:b:c:" — the associated data of the value at that key path.
std::string sops_aad(const std::vector<std::string>& path);
// The path as a message shows it: "a.b.c" ("(root)" when empty).
std::string sops_path_text(const std::vector<std::string>& path);

// IVs to reuse so that an unchanged value re-encrypts to the same ENC[] string (as `sops edit`
// does): keyed by (aad, type, plaintext text).
using SopsIvStash = std::map<std::tuple<std::string, SopsType, std::string>, std::vector<std::uint8_t>>;

// Encrypts every selected scalar of `tree` in place; returns the MAC (uppercase hex SHA-512).
// Values found in `stash` keep their IV.
Result<std::string> sops_encrypt_tree(SopsNode& tree, const SopsRules& rules, const SopsDataKey& key,
                                      const SopsIvStash* stash = nullptr);
// Decrypts every selected scalar in place (each must be ENC[...] or ""); returns the MAC of the
// plaintext. Errors name the key path. Fills `stash` when given.
Result<std::string> sops_decrypt_tree(SopsNode& tree, const SopsRules& rules, const SopsDataKey& key,
                                      SopsIvStash* stash = nullptr);
// Lists the key paths of selected scalars that are not ENC[...] or "" (a partially encrypted file),
// and of ENC[...] strings that do not parse.
std::vector<std::string> sops_unencrypted_paths(const SopsNode& tree, const SopsRules& rules);

// Go's strconv.FormatFloat(v, 'f', -1, 64).
std::string sops_format_float(double v);

}  // namespace lucid::sops
