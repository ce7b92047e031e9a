#include "lucid/supply/verify_images.h"

#include <algorithm>
#include <set>

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
    add(v, L::kError, "mirror", fmt::format("{} unreachable: {}", client.base_url(), head.error().message));
    v.findings.back().unreachable = true;
    return v;
  }
  if (!*head) {
    add(v, L::kError, "mirror",
        fmt::format("digest {} not in the mirror {} (not built or not pushed)", ref->digest,
                    client.base_url()));
    return v;
  }
  // Fetching by digest checks the bytes against the digest (a mirror serving other content fails here).
  if (auto m = client.get_manifest(repo, ref->digest); !m) {
    add(v, L::kError, "mirror", m.error().message);
    return v;
  }
  if (!ref->tag.empty())
    if (auto s = check_pinned(client, repo, ref->tag, ref->digest); !s)
      add(v, L::kError, "tag", s.error().message);

  auto sig = verify_image_signature(client, repo, ref->digest, policy.signers, v.image);
  if (!sig)  // the message already reads "<image>: signature: …"
    v.findings.push_back({L::kError, "signature", sig.error().message});
  else
    v.signer = sig->key_name;

  auto sbom_text = fetch_sbom(client, repo, ref->digest);
  if (!sbom_text) {
    add(v, L::kError, "sbom",
        sbom_text.error().kind == ErrorKind::kNotFound ? std::string("no SBOM attached (.sbom tag missing)")
                                                       : sbom_text.error().message);
    return v;
  }
  auto sbom = parse_spdx(*sbom_text);
  if (!sbom) {
    add(v, L::kError, "sbom", sbom.error().message);
    return v;
  }
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

}  // namespace lucid::supply
