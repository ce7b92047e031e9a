// The SBOM bound to its image: the SPDX document as a signed in-toto attestation in cosign's layout
// (what `cosign attest --type spdxjson` stores and `cosign verify-attestation` reads): tag
// `sha256-<hex>.att`, one layer per attestation holding a DSSE envelope (docs/formats.md).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/oci/cosign_verify.h"
#include "lucid/oci/oci_registry.h"
#include "lucid/oci/signing_key.h"

namespace lucid::oci {

inline constexpr std::string_view kInTotoStatementV01 = "https://in-toto.io/Statement/v0.1";
inline constexpr std::string_view kInTotoStatementV1 = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kSpdxPredicateType = "https://spdx.dev/Document";
inline constexpr std::string_view kDsseEnvelopeMediaType = "application/vnd.dsse.envelope.v1+json";
inline constexpr std::string_view kPredicateTypeAnnotation = "predicateType";
// The media type of cosign's legacy, unsigned `.sbom` attachment: recognised only to refuse it.
inline constexpr std::string_view kSpdxJsonMediaType = "text/spdx+json";

// The in-toto Statement v0.1 binding `spdx_json` to `digest` ("sha256:<hex>"), as cosign writes it:
// {"_type","predicateType":"https://spdx.dev/Document","subject":[{"name","digest":{"sha256"}}],
// "predicate":<the SPDX document>}. kInvalidArgument when the SBOM is not a JSON object.
Result<std::string> spdx_statement(std::string_view subject_name, std::string_view digest,
                                   std::string_view spdx_json);

// Signs the statement (DSSE, payload type in-toto) with `key` and stores it under `.att`: layer media
// type application/vnd.dsse.envelope.v1+json, annotations `predicateType` and an empty
// `dev.cosignproject.cosign/signature` (cosign's). Earlier SPDX attestations are replaced, other
// predicate types kept (`cosign attest --replace`). Returns the `.att` manifest digest.
Result<std::string> attest_sbom(RegistryClient& client, std::string_view repo, std::string_view digest,
                                std::string_view subject_name, std::string_view spdx_json,
                                const PrivateKey& key);

// The DSSE envelopes stored under `.att` (blob bytes digest-checked). kNotFound when there is no `.att`
// tag; mirror faults as RegistryClient reports them (kIo, kCorrupt); kInvalidArgument when the `.att`
// manifest is not an image manifest.
Result<std::vector<std::string>> fetch_attestations(RegistryClient& client, std::string_view repo,
                                                    std::string_view digest);

// Whether cosign's legacy unsigned `.sbom` tag exists for `repo@digest` (mirror faults as errors).
Result<bool> has_unsigned_sbom(RegistryClient& client, std::string_view repo, std::string_view digest);

struct VerifiedSbom {
  std::string key_name;                // the policy key that signed the first accepted attestation
  std::vector<std::string> documents;  // the SPDX predicate of every accepted attestation (JSON text)
};

// `cosign verify-attestation --type spdxjson --key …`: an envelope is accepted when its payloadType is
// in-toto, some signature verifies over the DSSE PAE with a policy key, the statement's `_type` is an
// in-toto Statement, its predicateType is SPDX, a subject's sha256 equals `digest` and the predicate is
// a JSON object. kAuthentication (the most specific reason seen: a signed statement about another
// digest beats an unknown key beats a malformed envelope) when none is accepted.
Result<VerifiedSbom> verify_sbom_attestations(std::span<const std::string> envelopes, std::string_view digest,
                                              const SignerKeys& keys);

}  // namespace lucid::oci
