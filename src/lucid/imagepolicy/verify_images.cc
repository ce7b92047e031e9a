#include "lucid/imagepolicy/verify_images.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "lucid/oci/image_ref.h"
#include "lucid/oci/image_signature.h"
#include "lucid/oci/oci_manifest.h"
#include "lucid/oci/sbom_attachment.h"
#include "lucid/render/render.h"
#include "lucid/sbom/spdx.h"

namespace lucid::imagepolicy {
namespace {

namespace fs = std::filesystem;

void add(ImageVerdict& v, ImageFinding::Level level, ImageCheck check, const std::string& reason) {
  v.findings.push_back({level, check, fmt::format("{}: {}: {}", v.image, to_string(check), reason)});
}

// A finding that is no verdict on the image: the mirror could not answer, or does not hold it yet.
// `lucidctl verify` still refuses; the reconciler fails the pass without marking the commit bad.
void no_verdict(ImageVerdict& v, ImageCheck check, const std::string& reason) {
  add(v, ImageFinding::Level::kError, check, reason);
  v.findings.back().unreachable = true;
}

// A registry read that failed because of the mirror, not the image: no connection, an HTTP status
// other than 200/404 (5xx, 429, 401/403), or bytes that do not hash to their digest.
bool mirror_fault(const Error& e) {
  return e.kind == ErrorKind::kIo || e.kind == ErrorKind::kCorrupt;
}

// The SBOM the image's signed SPDX attestation carries (several accepted attestations: the union of
// their packages, so an advisory matching any of them is seen). Problems become findings.
std::optional<sbom::Sbom> read_sbom(oci::RegistryClient& client, const ImagePolicy& policy,
                                    const std::string& repo, const std::string& digest, ImageVerdict& v) {
  using L = ImageFinding::Level;
  const std::string att = oci::cosign_tag(digest, ".att");
  auto envelopes = oci::fetch_attestations(client, repo, digest);
  if (!envelopes && envelopes.error().kind == ErrorKind::kNotFound) {
    // An unsigned `.sbom` is present-and-wrong (a verdict); nothing at all may be replication lag.
    auto legacy = oci::has_unsigned_sbom(client, repo, digest);
    if (legacy && *legacy)
      add(v, L::kError, ImageCheck::kSbom,
          fmt::format("only an unsigned SBOM ({}) is attached and unsigned SBOMs are not trusted; attest "
                      "it with lucidctl sign --sbom or rebuild",
                      oci::cosign_tag(digest, ".sbom")));
    else
      no_verdict(v, ImageCheck::kSbom,
                 fmt::format("no signed SBOM attestation ({}) in the mirror (not replicated yet, or never "
                             "attested)",
                             att));
    return std::nullopt;
  }
  if (!envelopes && mirror_fault(envelopes.error())) {
    no_verdict(v, ImageCheck::kSbom, fmt::format("{} unreadable: {}", att, envelopes.error().message));
    return std::nullopt;
  }
  if (!envelopes) {
    add(v, L::kError, ImageCheck::kSbom, envelopes.error().message);
    return std::nullopt;
  }
  auto verified = oci::verify_sbom_attestations(*envelopes, digest, policy.signers);
  if (!verified) {
    add(v, L::kError, ImageCheck::kSbom, fmt::format("{}: {}", att, verified.error().message));
    return std::nullopt;
  }
  sbom::Sbom merged;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const auto& doc : verified->documents) {
    auto one = sbom::parse_spdx(doc);
    if (!one) {
      add(v, L::kError, ImageCheck::kSbom, fmt::format("{}: signed predicate: {}", att, one.error().message));
      return std::nullopt;
    }
    if (merged.name.empty()) {
      merged.name = one->name;
      merged.document_namespace = one->document_namespace;
    }
    for (auto& p : one->packages)
      if (seen.emplace(p.name, p.version, p.purl).second) merged.packages.push_back(std::move(p));
  }
  return merged;
}

}  // namespace

bool ImageVerdict::ok() const {
  return std::none_of(findings.begin(), findings.end(),
                      [](const ImageFinding& f) { return f.level == ImageFinding::Level::kError; });
}

bool ClusterVerdict::ok() const {
  return std::all_of(images.begin(), images.end(), [](const ImageVerdict& v) { return v.ok(); });
}

Result<ImagePolicy> load_image_policy(const fs::path& repo, std::string today) {
  ImagePolicy p;
  p.today = today.empty() ? sbom::utc_today() : std::move(today);
  fs::path policies = repo / "policies";
  auto keys = oci::SignerKeys::load_dir(policies / "signers");
  if (!keys) return std::unexpected(keys.error());
  p.signers = std::move(*keys);
  auto matrix = sbom::load_inclusion_matrix(policies / "inclusion-matrix.yaml");
  if (!matrix) return std::unexpected(matrix.error());
  p.matrix = std::move(*matrix);
  std::error_code ec;
  if (fs::is_directory(policies / "advisories", ec)) {
    auto adv = sbom::load_osv_dir(policies / "advisories");
    if (!adv) return std::unexpected(adv.error());
    p.advisories = std::move(*adv);
  }
  p.index.emplace(p.advisories);
  if (fs::exists(policies / "waivers.yaml", ec)) {
    auto w = sbom::load_waivers(policies / "waivers.yaml");
    if (!w) return std::unexpected(w.error());
    p.waivers = std::move(*w);
    auto c = load_component_waivers(policies / "waivers.yaml");
    if (!c) return std::unexpected(c.error());
    p.component_waivers = std::move(*c);
  }
  return p;
}

ImageVerdict verify_image(oci::RegistryClient& client, const ImagePolicy& policy, std::string_view service,
                          std::string_view image) {
  using L = ImageFinding::Level;
  ImageVerdict v;
  v.service = std::string(service);
  v.image = std::string(image);
  auto ref = oci::parse_image_ref(image);
  if (!ref) {
    add(v, L::kError, ImageCheck::kPinned, ref.error().message);
    return v;
  }
  if (ref->digest.empty()) {
    add(v, L::kError, ImageCheck::kPinned, "not pinned by digest (lucidctl build --repo pins it)");
    return v;
  }
  v.digest = ref->digest;
  const std::string& repo = ref->repository;

  auto head = client.head_manifest(repo, ref->digest);
  if (!head) {
    no_verdict(v, ImageCheck::kMirror,
               fmt::format("{} unreachable: {}", client.base_url(), head.error().message));
    return v;
  }
  if (!*head) {
    // The mirror may simply not have replicated it yet; nothing about the image is known.
    no_verdict(v, ImageCheck::kMirror,
               fmt::format("digest {} not in the mirror {} (not replicated yet, or not built or pushed)",
                           ref->digest, client.base_url()));
    return v;
  }
  // Fetching by digest checks the bytes against the digest (a mirror serving other content fails here).
  if (auto m = client.get_manifest(repo, ref->digest); !m) {
    no_verdict(v, ImageCheck::kMirror, m.error().message);
    return v;
  }
  // The image is pulled by digest, so a tag that moved (or cannot be read) changes nothing that runs:
  // a warning for the operator, never a verdict (docs/operations.md).
  if (!ref->tag.empty())
    if (auto s = oci::check_pinned(client, repo, ref->tag, ref->digest); !s)
      add(v, L::kWarning, ImageCheck::kTag,
          s.error().kind == ErrorKind::kAuthentication || s.error().kind == ErrorKind::kNotFound
              ? s.error().message
              : fmt::format("{}:{}: not checked: {}", repo, ref->tag, s.error().message));

  auto sigs = oci::fetch_image_signatures(client, repo, ref->digest);
  if (!sigs && sigs.error().kind == ErrorKind::kNotFound)
    no_verdict(v, ImageCheck::kSignature,
               fmt::format("no {} signature in the mirror (not replicated yet, or never signed)",
                           oci::cosign_tag(ref->digest, ".sig")));
  else if (!sigs && mirror_fault(sigs.error()))
    no_verdict(v, ImageCheck::kSignature,
               fmt::format("{} unreadable: {}", oci::cosign_tag(ref->digest, ".sig"), sigs.error().message));
  else if (!sigs)
    add(v, L::kError, ImageCheck::kSignature, sigs.error().message);
  else if (auto sig = oci::verify_cosign_signatures(*sigs, ref->digest, policy.signers, v.image); !sig)
    v.findings.push_back(
        {L::kError, ImageCheck::kSignature, sig.error().message});  // reads "<image>: signature: …"
  else
    v.signer = sig->key_name;

  auto contents = read_sbom(client, policy, repo, ref->digest, v);
  if (!contents) return v;
  v.sbom_packages = contents->packages.size();

  for (const auto& f : sbom::check_inclusion(policy.matrix, service, *contents, v.image)) {
    // f.message already reads "<image>: inclusion: …".
    if (f.level == sbom::InclusionFinding::Level::kWarning) {
      v.findings.push_back({L::kWarning, ImageCheck::kInclusion, f.message});
      continue;
    }
    const ComponentWaiver* w = find_component_waiver(policy.component_waivers, service, f.component);
    if (w && w->expires >= policy.today)
      v.findings.push_back(
          {L::kWaived, ImageCheck::kInclusion,
           fmt::format("{} (waived until {} at {}: {})", f.message, w->expires, w->where, w->reason)});
    else if (w)
      v.findings.push_back({L::kError, ImageCheck::kInclusion,
                            fmt::format("{} (waiver at {} expired {})", f.message, w->where, w->expires)});
    else
      v.findings.push_back({L::kError, ImageCheck::kInclusion, f.message});
  }

  auto matches = policy.index->match(contents->packages);
  for (const auto& f :
       sbom::apply_waivers(matches, policy.waivers, service, policy.today, &policy.advisories))
    v.findings.push_back({f.blocks() ? L::kError : L::kWaived, ImageCheck::kAdvisory, f.message(v.image)});
  return v;
}

Result<ClusterVerdict> verify_cluster_images(const fs::path& repo, const std::string& cluster,
                                             oci::RegistryClient& client, const ImagePolicy& policy,
                                             const std::vector<std::string>& only) {
  render::LeaveReferences leave;
  auto plan = render::render_cluster(repo, cluster, leave);
  if (!plan) return std::unexpected(plan.error());
  ClusterVerdict out;
  out.cluster = cluster;
  const auto& services = plan->document.value("services", nlohmann::json::object());
  std::set<std::string> wanted(only.begin(), only.end());
  for (const auto& w : wanted)
    if (!services.contains(w))
      return fail(ErrorKind::kNotFound, fmt::format("cluster {}: no service {} in its plan", cluster, w));
  for (const auto& [name, svc] : services.items()) {
    if (!wanted.empty() && !wanted.count(name)) continue;
    std::string image =
        svc.contains("image") && svc["image"].is_string() ? svc["image"].get<std::string>() : "";
    if (image.empty()) {
      ImageVerdict v;
      v.service = name;
      v.image = name;
      add(v, ImageFinding::Level::kError, ImageCheck::kPinned, "the service has no image");
      out.images.push_back(std::move(v));
      continue;
    }
    out.images.push_back(verify_image(client, policy, name, image));
  }
  return out;
}

std::string_view to_string(ImageCheck check) {
  switch (check) {
    case ImageCheck::kPinned:
      return "pinned";
    case ImageCheck::kMirror:
      return "mirror";
    case ImageCheck::kTag:
      return "tag";
    case ImageCheck::kSignature:
      return "signature";
    case ImageCheck::kSbom:
      return "sbom";
    case ImageCheck::kInclusion:
      return "inclusion";
    case ImageCheck::kAdvisory:
      return "advisory";
  }
  return "pinned";
}

Result<ImageCheck> parse_image_check(std::string_view text) {
  for (ImageCheck c : {ImageCheck::kPinned, ImageCheck::kMirror, ImageCheck::kTag, ImageCheck::kSignature,
                       ImageCheck::kSbom, ImageCheck::kInclusion, ImageCheck::kAdvisory})
    if (to_string(c) == text) return c;
  return fail(ErrorKind::kInvalidArgument, fmt::format("'{}' is not an image check", text));
}

Result<ImageFinding::Level> parse_finding_level(std::string_view text) {
  for (auto l : {ImageFinding::Level::kError, ImageFinding::Level::kWarning, ImageFinding::Level::kWaived})
    if (text == to_string(l)) return l;
  return fail(ErrorKind::kInvalidArgument, fmt::format("'{}' is not a finding level", text));
}

const char* to_string(ImageFinding::Level level) {
  switch (level) {
    case ImageFinding::Level::kError:
      return "error";
    case ImageFinding::Level::kWarning:
      return "warning";
    case ImageFinding::Level::kWaived:
      return "waived";
  }
  return "error";
}

nlohmann::ordered_json to_json(const ClusterVerdict& v) {
  nlohmann::ordered_json j;
  j["cluster"] = v.cluster;
  j["ok"] = v.ok();
  j["images"] = nlohmann::json::array();
  for (const auto& i : v.images) {
    nlohmann::ordered_json e;
    e["service"] = i.service;
    e["image"] = i.image;
    e["digest"] = i.digest;
    e["ok"] = i.ok();
    e["signer"] = i.signer;
    e["sbom_packages"] = i.sbom_packages;
    e["findings"] = nlohmann::json::array();
    for (const auto& f : i.findings)
      e["findings"].push_back({{"level", to_string(f.level)},
                               {"check", std::string(to_string(f.check))},
                               {"message", f.message},
                               {"unreachable", f.unreachable}});
    j["images"].push_back(e);
  }
  return j;
}

}  // namespace lucid::imagepolicy
