// DSSE envelopes (cosign attestations): the pre-authentication encoding, signing and parsing an
// envelope, signature verification against policy keys, and the in-toto subject check for a SHA-256.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/oci/cosign_verify.h"
#include "lucid/oci/signing_key.h"

namespace lucid::oci {

// The payload type of an in-toto statement inside a DSSE envelope.
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

struct DsseEnvelope {
  std::string payload_type;
  std::string payload;                  // decoded bytes
  std::vector<std::string> signatures;  // decoded DER signatures (keyid ignored)
};

// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
std::string dsse_pae(std::string_view payload_type, std::string_view payload);

Result<DsseEnvelope> parse_dsse(std::string_view json_text);

// Signs PAE(payload_type, payload) with `key` and returns the envelope as cosign writes it (compact
// JSON, fields payloadType, payload, signatures[{keyid: "", sig}], standard padded base64).
Result<std::string> sign_dsse(std::string_view payload_type, std::string_view payload, const PrivateKey& key);

// The verified in-toto statement: kAuthentication unless some signature verifies over the PAE with a key.
Result<CosignVerified> verify_dsse(const DsseEnvelope& envelope, const SignerKeys& keys);

// For an in-toto statement payload: ok when some subject's digest.sha256 equals `sha256_hex`.
// kAuthentication when no subject matches (or there are none, or none carries sha256).
Status check_in_toto_subject(std::string_view statement, std::string_view sha256_hex);

}  // namespace lucid::oci
