#include "lucid/console/commit_preview.h"

#include <fstream>

#include <fmt/format.h>

#include "lucid/base/subprocess.h"
#include "lucid/base/temp_dir.h"
#include "lucid/gitsig/git_runner.h"
#include "lucid/imagepolicy/verify_images.h"
#include "lucid/oci/oci_registry.h"
#include "lucid/reconcile/deploy_gates.h"
#include "lucid/reconcile/git_mirror.h"
#include "lucid/render/render.h"

namespace lucid::console {

namespace fs = std::filesystem;

namespace {

// The cluster's plan at the checkout, with secret references as text; "" and the error when it does
// not render.
std::pair<std::string, std::string> plan_of(const fs::path& checkout, const std::string& cluster) {
  render::LeaveReferences leave;
  auto plan = render::render_cluster(checkout, cluster, leave);
  if (!plan) return {"", plan.error().message};
  return {plan->yaml, ""};
}

// A unified diff of two texts (git diff --no-index, which any operator reads), bounded.
Result<std::string> unified_diff(const fs::path& dir, const std::string& before, const std::string& after) {
  std::ofstream(dir / "last-good.yaml") << before;
  std::ofstream(dir / "commit.yaml") << after;
  gitsig::GitCommand diff;
  diff.work_dir = dir;  // not a repository: --no-index compares the two files
  diff.args = {"diff", "--no-index", "--no-color", "--", "last-good.yaml", "commit.yaml"};
  auto r = gitsig::run_git(diff);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code > 1) return fail(ErrorKind::kIo, "git diff --no-index: " + first_line(r->err));
  return std::move(r->out);
}

}  // namespace

Result<nlohmann::ordered_json> preview_commit(const PreviewRequest& q) {
  auto tmp = PrivateTempDir::create("lucid-preview-");
  if (!tmp) return std::unexpected(tmp.error());
  const fs::path checkout = tmp->path() / "commit", good = tmp->path() / "last-good";
  if (auto s = reconcile::export_commit(q.repo, q.commit, checkout); !s) return std::unexpected(s.error());
  nlohmann::ordered_json out;
  out["cluster"] = q.cluster;
  out["commit"] = q.commit;
  out["last_good"] = q.last_good;

  // The policies a site applies to a new commit: the last-good commit's signer keys and privileged
  // policy, laid over the commit's own (before a first promotion the site uses its operator's files,
  // which the console does not have: then the commit's own are shown, and said so).
  std::string before;
  if (!q.last_good.empty()) {
    if (auto s = reconcile::export_commit(q.repo, q.last_good, good); !s) return std::unexpected(s.error());
    auto trusted = reconcile::policies_of_checkout(good, "the last-good commit " + q.last_good.substr(0, 12));
    if (auto s = reconcile::overlay_trusted_policies(checkout, trusted); !s)
      return std::unexpected(s.error());
    out["trusted_policies"] = trusted.source;
    before = plan_of(good, q.cluster).first;
  } else {
    out["trusted_policies"] = "the commit's own (no last-good commit: a site uses its operator's files)";
  }
  auto [after, render_error] = plan_of(checkout, q.cluster);
  if (!render_error.empty()) out["render_error"] = render_error;
  auto diff = unified_diff(tmp->path(), before, after);
  if (!diff) return std::unexpected(diff.error());
  out["plan_diff_truncated"] = diff->size() > q.max_diff;
  if (diff->size() > q.max_diff) diff->resize(q.max_diff);
  out["plan_diff"] = *diff;
  out["lint_gate"] = reconcile::lint_gate(checkout, !q.registry.empty());

  if (q.registry.empty()) {
    out["images"] = nullptr;
  } else if (!render_error.empty()) {
    out["images"] = {{"error", "the plan does not render"}};
  } else {
    auto policy = imagepolicy::load_image_policy(checkout);
    if (!policy) {
      out["images"] = {{"error", policy.error().message}};
    } else {
      oci::RegistryClient client(q.registry);
      auto verdict = imagepolicy::verify_cluster_images(checkout, q.cluster, client, *policy);
      out["images"] = verdict ? imagepolicy::to_json(*verdict)
                              : nlohmann::ordered_json{{"error", verdict.error().message}};
      // Signer keys are named by their path in the repo, not in the preview's temporary checkouts.
      if (out["images"].contains("images"))
        for (auto& image : out["images"]["images"])
          if (image.contains("signer") && image["signer"].is_string()) {
            std::string signer = image["signer"];
            for (const fs::path& root : {checkout, good})
              if (signer.starts_with(root.string() + "/")) signer = signer.substr(root.string().size() + 1);
            image["signer"] = signer;
          }
    }
  }
  return out;
}

}  // namespace lucid::console
