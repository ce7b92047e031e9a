// What a commit's content must satisfy before the reconciler applies it, beyond its signature and
// its images' signatures (issue 12, item 2): the policies that vouch for it come from trust the site
// already had, the deploy-gate lint rules find no error, every image is under the canonical registry,
// and the plan is not empty unless the operator allows it. Each returns refusal reasons (empty: ok).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/render/plan.h"

namespace lucid::reconcile {

// The policy files a commit may not vouch for itself with: image signer keys and the privileged
// policy. They come from the last-good commit or, before the first promotion, from the operator.
inline constexpr std::string_view kSignersDir = "policies/signers";
inline constexpr std::string_view kPrivilegedFile = "policies/privileged.yaml";

struct TrustedPolicies {
  std::optional<std::filesystem::path> signers_dir;  // absent: no image signer is trusted
  std::optional<std::filesystem::path> privileged;   // absent: no privileged exception is granted
  std::string source;                                // "last-good <commit>" or "operator files"
};

// The trusted policies found in the checked-out tree of a trusted (last-good) commit.
TrustedPolicies policies_of_checkout(const std::filesystem::path& checkout, std::string source);

// Replaces the checkout's policies/signers/ and policies/privileged.yaml by the trusted ones (or
// removes them when there are none), so that everything that reads the checkout afterwards (lint,
// the image check) uses what the site already trusted, never what the commit brings.
Status overlay_trusted_policies(const std::filesystem::path& checkout, const TrustedPolicies& trusted);

// The lint rule families that gate a deploy: hardening, planes (wallet ACL included), UDP, privileged
// and, when images are verified, digest pins. Their error findings over the checkout, one line each.
std::vector<std::string> lint_gate(const std::filesystem::path& checkout, bool images_verified);

// Services whose image is not under `canonical_registry` (the registry the mirror replicates).
std::vector<std::string> foreign_images(const render::Plan& plan, const std::string& canonical_registry);

// A plan without services: applying it with --remove-orphans tears the site down.
bool empty_plan(const render::Plan& plan);

}  // namespace lucid::reconcile
