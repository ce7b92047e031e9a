// The age v1 header: version line, recipient stanzas ("-> type args…" plus a base64 body wrapped
// at 64 columns and ended by a short line), and the "---" line carrying HMAC-SHA-256 of the rest.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/crypto/age_common.h"

namespace lucid::crypto {

struct AgeStanza {
  std::vector<std::string> args;  // args[0] is the type ("X25519", "scrypt", …); at least one
  std::vector<std::uint8_t> body;
};

using AgeHeaderMac = std::array<std::uint8_t, 32>;

struct AgeHeader {
  std::vector<AgeStanza> stanzas;
  AgeHeaderMac mac{};
};

struct ParsedAgeHeader {
  AgeHeader header;
  std::size_t mac_input_size = 0;  // header bytes covered by the MAC: through "---", not the space
  std::size_t size = 0;            // bytes through the MAC line's LF; the payload starts here
};

// Parses the header at the start of a binary age file with every rule of the spec (exact version
// line, LF only, arguments of VCHARs, canonical unpadded base64, full 64-column lines then one
// shorter line, a 32-byte MAC, at least one stanza). Errors are "age: header failure: …".
Result<ParsedAgeHeader> parse_age_header(std::span<const std::uint8_t> file);

// The header through "---" (the MAC input), and the full header ending with " <mac>\n".
// kInvalidArgument when a stanza has no arguments or an argument is empty or not VCHARs.
Result<std::string> serialize_age_header_without_mac(const AgeHeader& header);
Result<std::string> serialize_age_header(const AgeHeader& header);

// HMAC-SHA-256(key = HKDF-SHA-256(file key, salt = empty, info = "header"), mac_input).
AgeHeaderMac age_header_mac(const AgeFileKey& file_key, std::span<const std::uint8_t> mac_input);

}  // namespace lucid::crypto
