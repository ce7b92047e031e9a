#include "lucid/reconcile/image_check.h"

#include <optional>

#include <fmt/format.h>

#include "lucid/imagepolicy/verify_images.h"

namespace lucid::reconcile {

ImageCheck registry_image_check(std::string registry_url) {
  return [url = std::move(registry_url)](const std::filesystem::path& checkout, const std::string&,
                                         const render::Plan& plan) -> Result<std::vector<std::string>> {
    auto policy = imagepolicy::load_image_policy(checkout);
    if (!policy) return std::vector<std::string>{"image policy: " + policy.error().message};
    oci::RegistryClient client(url);
    std::vector<std::string> refusals;
    std::optional<std::string> no_verdict;  // the first image the mirror could not answer for
    if (!plan.document.contains("services")) return refusals;
    for (const auto& [service, svc] : plan.document["services"].items()) {
      if (!svc.contains("image") || !svc["image"].is_string()) {
        refusals.push_back(fmt::format("{}: no image (lucid services run pinned images only)", service));
        continue;
      }
      auto verdict = imagepolicy::verify_image(client, *policy, service, svc["image"].get<std::string>());
      for (const auto& f : verdict.findings) {
        if (f.unreachable && !no_verdict) no_verdict = f.message;
        if (!f.unreachable && f.level == imagepolicy::ImageFinding::Level::kError)
          refusals.push_back(f.message);
      }
    }
    // A policy verdict on any image refuses the commit, whatever the mirror could not answer for the
    // others; only when there is none is a mirror fault the outcome (no verdict: not marked bad).
    if (refusals.empty() && no_verdict) return fail(ErrorKind::kIo, *no_verdict);
    return refusals;
  };
}

}  // namespace lucid::reconcile
