// What a site will make of a commit, worked out by the console before any site tries it: the cluster's
// rendered plan diffed against the plan of its last-good commit (secret references left as text, so no
// value is ever rendered), the deploy lint gate, and — given the registry mirror — every image's
// verdict under the policies the site will apply (the commit's, with the signer keys and privileged
// policy of the last-good commit, as reconcile/deploy_gates overlays them).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid::console {

struct PreviewRequest {
  std::filesystem::path repo;  // a git repository holding both commits (the console's clone)
  std::string commit;          // the commit to preview
  std::string cluster;
  std::string last_good;  // the cluster's last-good commit ("" before its first promotion)
  std::string registry;   // the mirror's URL; "" skips the image checks
  std::size_t max_diff = 256u << 10;
};

// {cluster, commit, last_good, trusted_policies, plan_diff, plan_diff_truncated, lint_gate[],
//  images (imagepolicy::to_json of the verdict, or {error}, or null without a registry)}.
// Errors only for what prevents a preview (the commit cannot be exported); a render failure is part of
// the answer (`render_error`), as it is what the site would refuse.
Result<nlohmann::ordered_json> preview_commit(const PreviewRequest& request);

}  // namespace lucid::console
