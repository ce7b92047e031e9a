#include "lucid/reconcile/plan_verifier.h"

#include <fmt/format.h>

namespace lucid::reconcile {

Result<std::vector<std::string>> PlanVerifier::check_commit(const std::string& repo,
                                                            const std::string& commit) const {
  if (!trust_.allowed_signers_file && !trust_.trusted_commit)
    return std::vector<std::string>{
        "no allowed_signers configured (--allowed-signers): every commit is refused"};
  auto verdict = gitsig::verify_commit(repo, commit, trust_);
  if (!verdict) return std::unexpected(verdict.error());
  if (verdict->accepted()) return std::vector<std::string>{};
  return std::vector<std::string>{
      fmt::format("commit signature: {}: {}", gitsig::refusal_code(*verdict->refusal), verdict->reason)};
}

Result<std::vector<std::string>> PlanVerifier::check_plan(const std::filesystem::path& checkout,
                                                          const std::string& cluster,
                                                          const render::Plan& plan) const {
  if (!image_check_) return std::vector<std::string>{};
  return image_check_(checkout, cluster, plan);
}

}  // namespace lucid::reconcile
