// The reconciler's image check (issue 6, "verify the plan"): every image of a rendered plan passes
// the image policy of the checkout against the site's registry mirror (imagepolicy::verify_image).
#pragma once

#include <string>

#include "lucid/reconcile/plan_verifier.h"

namespace lucid::reconcile {

// Checks each service image of the plan with the policy in the checkout (policies/signers/,
// inclusion matrix, advisories, waivers) against the mirror at `registry_url` ("http://host:port").
// The reconciler has replaced the checkout's policies/signers/ by the trusted ones (deploy_gates.h):
// a commit's images are never judged by keys that commit brought.
// Refusals are the error findings' messages. A mirror that cannot be reached is an error, not a
// refusal: the commit is not marked bad for an outage and the next pass tries again.
ImageCheck registry_image_check(std::string registry_url);

}  // namespace lucid::reconcile
