#include "lucid/reconcile/deploy_gates.h"

#include <array>
#include <system_error>

#include <fmt/format.h>

#include "lucid/lint/lint.h"

namespace lucid::reconcile {

namespace fs = std::filesystem;

TrustedPolicies policies_of_checkout(const fs::path& checkout, std::string source) {
  TrustedPolicies t;
  t.source = std::move(source);
  std::error_code ec;
  if (fs::is_directory(checkout / kSignersDir, ec)) t.signers_dir = checkout / kSignersDir;
  if (fs::is_regular_file(checkout / kPrivilegedFile, ec)) t.privileged = checkout / kPrivilegedFile;
  return t;
}

Status overlay_trusted_policies(const fs::path& checkout, const TrustedPolicies& trusted) {
  std::error_code ec;
  const fs::path signers = checkout / kSignersDir;
  const fs::path privileged = checkout / kPrivilegedFile;
  fs::remove_all(signers, ec);
  if (ec) return fail(ErrorKind::kIo, fmt::format("{}: {}", signers.string(), ec.message()));
  fs::remove(privileged, ec);
  if (ec) return fail(ErrorKind::kIo, fmt::format("{}: {}", privileged.string(), ec.message()));
  fs::create_directories(checkout / "policies", ec);
  if (trusted.signers_dir) {
    // Regular files only: a trusted directory is the operator's or a checkout of a verified commit.
    fs::copy(*trusted.signers_dir, signers, fs::copy_options::recursive, ec);
    if (ec)
      return fail(ErrorKind::kIo,
                  fmt::format("trusted image signers {}: {}", trusted.signers_dir->string(), ec.message()));
  }
  if (trusted.privileged) {
    fs::copy_file(*trusted.privileged, privileged, ec);
    if (ec)
      return fail(ErrorKind::kIo, fmt::format("trusted privileged policy {}: {}",
                                              trusted.privileged->string(), ec.message()));
  }
  return {};
}

namespace {

// Rule-id prefixes of the lint families that gate a deploy (docs/operations.md "Deploy gates").
constexpr std::array<std::string_view, 4> kGateFamilies{"hardening/", "planes/", "net/udp", "privileged/"};
constexpr std::string_view kDigestPinRule = "image/unpinned";

bool gates(std::string_view rule, bool images_verified) {
  if (images_verified && rule == kDigestPinRule) return true;
  for (auto family : kGateFamilies)
    if (rule.starts_with(family)) return true;
  return false;
}

}  // namespace

std::vector<std::string> lint_gate(const fs::path& checkout, bool images_verified) {
  std::vector<std::string> out;
  for (const auto& f : lint::lint_repo(checkout)) {
    if (f.severity != fleet::Severity::kError || !gates(f.rule_id, images_verified)) continue;
    // Paths relative to the checkout: the scratch directory means nothing to the operator.
    fleet::Finding shown = f;
    std::error_code ec;
    auto rel = fs::relative(f.file, checkout, ec);
    if (!ec && !rel.empty() && !rel.string().starts_with("..")) shown.file = rel.string();
    out.push_back("lint: " + fleet::to_text(shown));
  }
  return out;
}

std::vector<std::string> foreign_images(const render::Plan& plan, const std::string& canonical_registry) {
  std::vector<std::string> out;
  if (!plan.document.contains("services")) return out;
  const std::string prefix = canonical_registry + "/";
  for (const auto& [service, svc] : plan.document["services"].items()) {
    std::string image =
        svc.contains("image") && svc["image"].is_string() ? svc["image"].get<std::string>() : "";
    if (!image.starts_with(prefix))
      out.push_back(
          fmt::format("{}: image '{}' is not under the canonical registry {} (only images the "
                      "mirror replicates are deployed)",
                      service, image, canonical_registry));
  }
  return out;
}

bool empty_plan(const render::Plan& plan) {
  return !plan.document.contains("services") || plan.document["services"].empty();
}

}  // namespace lucid::reconcile
