#include "lucid/supply/verify_images.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "lucid/render/render.h"
#include "lucid/supply/image_ref.h"
#include "lucid/supply/image_signature.h"
#include "lucid/supply/oci_manifest.h"
#include "lucid/supply/sbom_attachment.h"
#include "lucid/supply/spdx.h"

namespace lucid::supply {
namespace {

namespace fs = std::filesystem;

void add(ImageVerdict& v, ImageFinding::Level level, const char* check, const std::string& reason) {
  v.findings.push_back({level, check, fmt::format("{}: {}: {}", v.image, check, reason)});
}

// A finding that is no verdict on the image: the mirror could not answer, or does not hold it yet.
// `lucidctl verify` still refuses; the reconciler fails the pass without marking the commit bad.
void no_verdict(ImageVerdict& v, const char* check, const std::string& reason) {
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
std::optional<Sbom> read_sbom(RegistryClient& client, const ImagePolicy& policy, const std::string& repo,
                              const std::string& digest, ImageVerdict& v) {
  using L = ImageFinding::Level;
  const std::string att = cosign_tag(digest, ".att");
  auto envelopes = fetch_attestations(client, repo, digest);
  if (!envelopes && envelopes.error().kind == ErrorKind::kNotFound) {
    // An unsigned `.sbom` is present-and-wrong (a verdict); nothing at all may be replication lag.
    auto legacy = has_unsigned_sbom(client, repo, digest);
    if (legacy && *legacy)
      add(v, L::kError, "sbom",
          fmt::format("only an unsigned SBOM ({}) is attached and unsigned SBOMs are not trusted; attest "
                      "it with lucidctl sign --sbom or rebuild",
                      cosign_tag(digest, ".sbom")));
    else
      no_verdict(v, "sbom",
                 fmt::format("no signed SBOM attestation ({}) in the mirror (not replicated yet, or never "
                             "attested)",
                             att));
    return std::nullopt;
  }
  if (!envelopes && mirror_fault(envelopes.error())) {
    no_verdict(v, "sbom", fmt::format("{} unreadable: {}", att, envelopes.error().message));
    return std::nullopt;
  }
  if (!envelopes) {
    add(v, L::kError, "sbom", envelopes.error().message);
    return std::nullopt;
  }
  auto verified = verify_sbom_attestations(*envelopes, digest, policy.signers);
  if (!verified) {
    add(v, L::kError, "sbom", fmt::format("{}: {}", att, verified.error().message));
    return std::nullopt;
  }
  Sbom merged;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const auto& doc : verified->documents) {
    auto sbom = parse_spdx(doc);
    if (!sbom) {
      add(v, L::kError, "sbom", fmt::format("{}: signed predicate: {}", att, sbom.error().message));
      return std::nullopt;
    }
    if (merged.name.empty()) {
      merged.name = sbom->name;
      merged.document_namespace = sbom->document_namespace;
    }
    for (auto& p : sbom->packages)
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
  p.today = today.empty() ? utc_today() : std::move(today);
  fs::path policies = repo / "policies";
  auto keys = SignerKeys::load_dir(policies / "signers");
  if (!keys) return std::unexpected(keys.error());
  p.signers = std::move(*keys);
  auto matrix = load_inclusion_matrix(policies / "inclusion-matrix.yaml");
  if (!matrix) return std::unexpected(matrix.error());
  p.matrix = std::move(*matrix);
  std::error_code ec;
  if (fs::is_directory(policies / "advisories", ec)) {
    auto adv = load_osv_dir(policies / "advisories");
    if (!adv) return std::unexpected(adv.error());
    p.advisories = std::move(*adv);
  }
  p.index.emplace(p.advisories);
  if (fs::exists(policies / "waivers.yaml", ec)) {
    auto w = load_waivers(policies / "waivers.yaml");
    if (!w) return std::unexpected(w.error());
    p.waivers = std::move(*w);
    auto c = load_component_waivers(policies / "waivers.yaml");
    if (!c) return std::unexpected(c.error());
    p.component_waivers = std::move(*c);
  }
  return p;
}

ImageVerdict verify_image(RegistryClient& client, const ImagePolicy& policy, std::string_view service,
                          std::string_view image) {
  using L = ImageFinding::Level;
  ImageVerdict v;
  v.service = std::string(service);
  v.image = std::string(image);
  auto ref = parse_image_ref(image);
  if (!ref) {
    add(v, L::kError, "pinned", ref.error().message);
    return v;
  }
  if (ref->digest.empty()) {
    add(v, L::kError, "pinned", "not pinned by digest (lucidctl build --repo pins it)");
    return v;
  }
  v.digest = ref->digest;
  const std::string& repo = ref->repository;

  auto head = client.head_manifest(repo, ref->digest);
  if (!head) {
    no_verdict(v, "mirror", fmt::format("{} unreachable: {}", client.base_url(), head.error().message));
    return v;
  }
  if (!*head) {
    // The mirror may simply not have replicated it yet; nothing about the image is known.
    no_verdict(v, "mirror",
               fmt::format("digest {} not in the mirror {} (not replicated yet, or not built or pushed)",
                           ref->digest, client.base_url()));
    return v;
  }
  // Fetching by digest checks the bytes against the digest (a mirror serving other content fails here).
  if (auto m = client.get_manifest(repo, ref->digest); !m) {
    no_verdict(v, "mirror", m.error().message);
    return v;
  }
  // The image is pulled by digest, so a tag that moved (or cannot be read) changes nothing that runs:
  // a warning for the operator, never a verdict (docs/operations.md).
  if (!ref->tag.empty())
    if (auto s = check_pinned(client, repo, ref->tag, ref->digest); !s)
      add(v, L::kWarning, "tag",
          s.error().kind == ErrorKind::kAuthentication || s.error().kind == ErrorKind::kNotFound
              ? s.error().message
              : fmt::format("{}:{}: not checked: {}", repo, ref->tag, s.error().message));

  auto sigs = fetch_image_signatures(client, repo, ref->digest);
  if (!sigs && sigs.error().kind == ErrorKind::kNotFound)
    no_verdict(v, "signature",
               fmt::format("no {} signature in the mirror (not replicated yet, or never signed)",
                           cosign_tag(ref->digest, ".sig")));
  else if (!sigs && mirror_fault(sigs.error()))
    no_verdict(v, "signature",
               fmt::format("{} unreadable: {}", cosign_tag(ref->digest, ".sig"), sigs.error().message));
  else if (!sigs)
    add(v, L::kError, "signature", sigs.error().message);
  else if (auto sig = verify_cosign_signatures(*sigs, ref->digest, policy.signers, v.image); !sig)
    v.findings.push_back({L::kError, "signature", sig.error().message});  // reads "<image>: signature: …"
  else
    v.signer = sig->key_name;

  auto sbom = read_sbom(client, policy, repo, ref->digest, v);
  if (!sbom) return v;
  v.sbom_packages = sbom->packages.size();

  for (const auto& f : check_inclusion(policy.matrix, service, *sbom, v.image)) {
    // f.message already reads "<image>: inclusion: …".
    if (f.level == InclusionFinding::Level::kWarning) {
      v.findings.push_back({L::kWarning, "inclusion", f.message});
      continue;
    }
    const ComponentWaiver* w = find_component_waiver(policy.component_waivers, service, f.component);
    if (w && w->expires >= policy.today)
      v.findings.push_back(
          {L::kWaived, "inclusion",
           fmt::format("{} (waived until {} at {}: {})", f.message, w->expires, w->where, w->reason)});
    else if (w)
      v.findings.push_back({L::kError, "inclusion",
                            fmt::format("{} (waiver at {} expired {})", f.message, w->where, w->expires)});
    else
      v.findings.push_back({L::kError, "inclusion", f.message});
  }

  auto matches = policy.index->match(sbom->packages);
  for (const auto& f : apply_waivers(matches, policy.waivers, service, policy.today, &policy.advisories))
    v.findings.push_back({f.blocks() ? L::kError : L::kWaived, "advisory", f.message(v.image)});
  return v;
}

Result<ClusterVerdict> verify_cluster_images(const fs::path& repo, const std::string& cluster,
                                             RegistryClient& client, const ImagePolicy& policy,
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
      add(v, ImageFinding::Level::kError, "pinned", "the service has no image");
      out.images.push_back(std::move(v));
      continue;
    }
    out.images.push_back(verify_image(client, policy, name, image));
  }
  return out;
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
                               {"check", f.check},
                               {"message", f.message},
                               {"unreachable", f.unreachable}});
    j["images"].push_back(e);
  }
  return j;
}

}  // namespace lucid::supply
