// BIP-173 Bech32 (the original checksum, not Bech32m) without BIP-173's 90-character limit, as
// age uses it for "age1…" recipients and "AGE-SECRET-KEY-1…" identities.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/base/secret_bytes.h"

namespace lucid {

// Encodes 8-bit `data` under `hrp` (1+ characters in 33–126, not mixed case). The result is upper
// case when `hrp` is (age's "AGE-SECRET-KEY-"), lower case otherwise.
Result<std::string> bech32_encode(std::string_view hrp, std::span<const std::uint8_t> data);

struct Bech32Decoded {
  std::string hrp;   // as written: upper case when the whole string was upper case
  SecretBytes data;  // the 8-bit payload (secret keys travel in Bech32, so it is wiped when freed)
};

// Strict: a single case throughout, the last '1' as separator, a valid checksum, and zero padding
// of fewer than 5 bits in the 5-to-8-bit conversion. Messages never quote the input.
Result<Bech32Decoded> bech32_decode(std::string_view text);

}  // namespace lucid
