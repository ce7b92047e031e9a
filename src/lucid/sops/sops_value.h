// One SOPS value: `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]`, AES-256-GCM with a
// 32-byte IV and the key path ("a:b:c:") or `lastmodified` (for the MAC) as associated data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/secret.h"
#include "lucid/base/secret_bytes.h"

namespace lucid::sops {

inline constexpr std::size_t kSopsDataKeyBytes = 32;
inline constexpr std::size_t kSopsIvBytes = 32;  // SOPS's nonce size (GCM with a non-96-bit IV)
inline constexpr std::size_t kSopsTagBytes = 16;
using SopsDataKey = SecretArray<kSopsDataKeyBytes>;

// The value types SOPS records in `type:`; kNull never appears in ENC[] (null is never encrypted).
enum class SopsType { kStr, kInt, kFloat, kBool, kBytes, kComment, kNull };
std::string_view sops_type_name(SopsType type);  // "str", "int", "float", "bool", "bytes", "comment"
std::optional<SopsType> sops_type_from_name(std::string_view name);

// The parts of an ENC[...] string; `ciphertext` excludes the tag.
struct SopsEncValue {
  std::vector<std::uint8_t> ciphertext, iv, tag;
  SopsType type = SopsType::kStr;
};

// True when `text` starts like an ENC[AES256_GCM,...] value (well formed or not).
bool sops_looks_encrypted(std::string_view text);
// Strict parse; messages name the part that is wrong and never quote the data.
Result<SopsEncValue> sops_parse_enc(std::string_view text);
std::string sops_format_enc(const SopsEncValue& value);

// Encrypts `plaintext` (already in SOPS's text form for `type`) under `key` with `iv` (random when
// empty) and `aad`. Returns the ENC[...] string.
Result<std::string> sops_seal(std::span<const std::uint8_t> plaintext, SopsType type, const SopsDataKey& key,
                              std::string_view aad, std::span<const std::uint8_t> iv = {});
// Opens an ENC[...] string; kAuthentication when the tag does not verify under `aad`.
struct SopsOpened {
  SecretBytes plaintext;
  SopsType type = SopsType::kStr;
  std::vector<std::uint8_t> iv;
};
Result<SopsOpened> sops_open(std::string_view enc, const SopsDataKey& key, std::string_view aad);

}  // namespace lucid::sops
