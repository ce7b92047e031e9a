// What must hold before a commit's plan may be applied: the commit carries a trusted SSH signature
// (gitsig::verify_commit against the operator's allowed_signers), and the plan's images pass the
// image policy (image_check.h, what `lucidctl verify --cluster` checks). Refusals are reasons, not errors.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/gitsig/verify_commit.h"
#include "lucid/render/plan.h"

namespace lucid::reconcile {

// Image signature check of a rendered plan, given the checked-out config repo and the cluster id:
// the refusal reasons (empty: accepted), or an error when no decision could be made.
using ImageCheck = std::function<Result<std::vector<std::string>>(
    const std::filesystem::path& checkout, const std::string& cluster, const render::Plan& plan)>;

class PlanVerifier {
 public:
  // `trust`: where trusted signers come from. No allowed_signers file and no trusted commit means
  // every commit is refused (fail-closed).
  explicit PlanVerifier(gitsig::TrustRoot trust, ImageCheck image_check = {})
      : trust_(std::move(trust)), image_check_(std::move(image_check)) {}

  // Refusal reasons for `commit` in the git repository `repo` (empty: signed by a trusted key).
  Result<std::vector<std::string>> check_commit(const std::string& repo, const std::string& commit) const;
  // Refusal reasons for the plan. Without an image check (`--insecure-skip-image-verify`) no image
  // is checked and every plan passes.
  Result<std::vector<std::string>> check_plan(const std::filesystem::path& checkout,
                                              const std::string& cluster, const render::Plan& plan) const;
  bool checks_images() const { return static_cast<bool>(image_check_); }

 private:
  gitsig::TrustRoot trust_;
  ImageCheck image_check_;
};

}  // namespace lucid::reconcile
