#include "lucid/oci/sbom_attachment.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/oci/dsse.h"
#include "lucid/oci/image_ref.h"
#include "lucid/oci/image_signature.h"
#include "lucid/oci/oci_manifest.h"

namespace lucid::oci {

Result<std::string> spdx_statement(std::string_view subject_name, std::string_view digest,
                                   std::string_view spdx_json) {
  if (!is_sha256_digest(digest))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("attestation subject: {} is not a sha256 digest", digest));
  auto doc = nlohmann::json::parse(spdx_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail(ErrorKind::kInvalidArgument, "sbom: the SPDX document is not a JSON object");
  // Fields in cosign's order (Go marshals in_toto.Statement's fields in declaration order); the
  // predicate is the document itself, as `cosign attest --type spdxjson` embeds it.
  nlohmann::ordered_json subject{{"name", subject_name}, {"digest", {{"sha256", digest.substr(7)}}}};
  return fmt::format(R"({{"_type":{},"predicateType":{},"subject":[{}],"predicate":{}}})",
                     nlohmann::json(kInTotoStatementV01).dump(), nlohmann::json(kSpdxPredicateType).dump(),
                     subject.dump(), doc.dump());
}

Result<std::string> attest_sbom(RegistryClient& client, std::string_view repo, std::string_view digest,
                                std::string_view subject_name, std::string_view spdx_json,
                                const PrivateKey& key) {
  auto statement = spdx_statement(subject_name, digest, spdx_json);
  if (!statement) return std::unexpected(statement.error());
  auto envelope = sign_dsse(kInTotoPayloadType, *statement, key);
  if (!envelope) return std::unexpected(envelope.error());
  Descriptor layer = describe(kDsseEnvelopeMediaType, *envelope);
  layer.annotations[std::string(kCosignSignatureAnnotation)] = "";  // the signature is inside the envelope
  layer.annotations[std::string(kPredicateTypeAnnotation)] = std::string(kSpdxPredicateType);

  std::string tag = cosign_tag(digest, ".att");
  std::vector<Descriptor> keep;
  auto existing = client.get_manifest(repo, tag);
  if (existing) {
    auto m = parse_manifest(existing->bytes);
    if (!m) return std::unexpected(with_context(fmt::format("{}:{}", repo, tag), m.error()));
    for (const auto& l : m->layers) {
      auto type = l.annotations.find(std::string(kPredicateTypeAnnotation));
      if (type == l.annotations.end() || type->second != kSpdxPredicateType) keep.push_back(l);
    }
  } else if (existing.error().kind != ErrorKind::kNotFound) {
    return std::unexpected(existing.error());
  }
  return push_artifact(client, repo, tag, keep, layer, *envelope);
}

Result<std::vector<std::string>> fetch_attestations(RegistryClient& client, std::string_view repo,
                                                    std::string_view digest) {
  std::string tag = cosign_tag(digest, ".att");
  auto manifest = client.get_manifest(repo, tag);
  if (!manifest) return std::unexpected(manifest.error());
  auto m = parse_manifest(manifest->bytes);
  if (!m) return fail(ErrorKind::kInvalidArgument, fmt::format("{}:{}: {}", repo, tag, m.error().message));
  std::vector<std::string> out;
  for (const auto& l : m->layers) {
    if (l.media_type != kDsseEnvelopeMediaType) continue;
    auto blob = client.get_blob(repo, l.digest);
    if (!blob) return std::unexpected(blob.error());
    out.push_back(std::move(*blob));
  }
  return out;
}

Result<bool> has_unsigned_sbom(RegistryClient& client, std::string_view repo, std::string_view digest) {
  auto head = client.head_manifest(repo, cosign_tag(digest, ".sbom"));
  if (!head) return std::unexpected(head.error());
  return head->has_value();
}

namespace {

// The SPDX predicate of one envelope, or why not. `signed_by` is set once a signature verified, which
// makes the reason more specific than any reason about an envelope nobody trusted signed.
Result<std::string> accept(const std::string& text, std::string_view hex, const SignerKeys& keys,
                           std::string& signed_by) {
  auto env = parse_dsse(text);
  if (!env) return std::unexpected(env.error());
  if (env->payload_type != kInTotoPayloadType)
    return fail(ErrorKind::kAuthentication,
                fmt::format("DSSE payloadType is \"{}\", not {}", env->payload_type, kInTotoPayloadType));
  auto who = verify_dsse(*env, keys);
  if (!who) return std::unexpected(who.error());
  signed_by = who->key_name;
  auto st = nlohmann::json::parse(env->payload, nullptr, false);
  if (st.is_discarded() || !st.is_object())
    return fail(ErrorKind::kAuthentication,
                fmt::format("statement signed by {} is not a JSON object", signed_by));
  std::string type = st.value("_type", "");
  if (type != kInTotoStatementV01 && type != kInTotoStatementV1)
    return fail(
        ErrorKind::kAuthentication,
        fmt::format("statement signed by {} has _type \"{}\", not an in-toto Statement", signed_by, type));
  if (auto s = check_in_toto_subject(env->payload, hex); !s)
    return fail(ErrorKind::kAuthentication, fmt::format("statement signed by {} is about another image: {}",
                                                        signed_by, s.error().message));
  std::string predicate_type = st.value("predicateType", "");
  if (predicate_type != kSpdxPredicateType)
    return fail(ErrorKind::kAuthentication,
                fmt::format("statement signed by {} has predicateType \"{}\", not {}", signed_by,
                            predicate_type, kSpdxPredicateType));
  if (!st.contains("predicate") || !st["predicate"].is_object())
    return fail(ErrorKind::kAuthentication,
                fmt::format("statement signed by {} has no SPDX document as predicate", signed_by));
  return st["predicate"].dump();
}

}  // namespace

Result<VerifiedSbom> verify_sbom_attestations(std::span<const std::string> envelopes, std::string_view digest,
                                              const SignerKeys& keys) {
  if (envelopes.empty()) return fail(ErrorKind::kAuthentication, "no SBOM attestation in the .att manifest");
  if (keys.empty()) return fail(ErrorKind::kAuthentication, "no policy keys");
  std::string_view hex = digest.starts_with("sha256:") ? digest.substr(7) : digest;
  VerifiedSbom out;
  std::string signed_problem, unsigned_problem;
  for (const auto& e : envelopes) {
    std::string signed_by;
    auto doc = accept(e, hex, keys, signed_by);
    if (doc) {
      if (out.key_name.empty()) out.key_name = signed_by;
      out.documents.push_back(std::move(*doc));
    } else if (!signed_by.empty()) {
      signed_problem = doc.error().message;
    } else if (unsigned_problem.empty() || doc.error().kind == ErrorKind::kAuthentication) {
      unsigned_problem = doc.error().message;
    }
  }
  if (!out.documents.empty()) return out;
  if (!signed_problem.empty()) return fail(ErrorKind::kAuthentication, signed_problem);
  return fail(ErrorKind::kAuthentication,
              fmt::format("none of {} attestation(s) is a valid SPDX attestation signed by a policy key ({})",
                          envelopes.size(), unsigned_problem));
}

}  // namespace lucid::oci
