// The reconciler's typed vocabulary: what a pass ended in and what kind of attempt it recorded.
// Their text forms are fixed (the state store, /status JSON, metrics labels and `lucidctl reconcile`
// print them; docs/formats.md "Site status"): to_string and parse are the only conversions.
#pragma once

#include <string_view>

#include "lucid/base/result.h"

namespace lucid::reconcile {

enum class PassOutcome {
  kUnchanged,    // the tracked commit already runs, healthy
  kPromoted,     // a new commit applied, became healthy and is last-good
  kCorrected,    // drift of the last-good commit re-applied
  kHeld,         // drift left in place: the restart budget is spent
  kRolledBack,   // a new commit failed; the last-good commit was re-applied
  kRefused,      // a commit was not applied (signature, lint gate, images, …)
  kFailed,       // an apply or correction did not become healthy and nothing better could be done
  kSkippedBad,   // the tracked commit is marked bad; nothing to do
  kRepaired,     // the last-good commit restored while the newest is marked bad
  kUnreachable,  // the fetch failed; the last-good commit runs unchanged from the local mirror
};

// What an attempt row in the state store records.
enum class AttemptKind { kDeploy, kRollback, kDrift };

std::string_view to_string(PassOutcome outcome);
std::string_view to_string(AttemptKind kind);
Result<PassOutcome> parse_pass_outcome(std::string_view text);
Result<AttemptKind> parse_attempt_kind(std::string_view text);

// Whether a pass with this outcome left the cluster running its last-good commit, healthy.
bool healthy_outcome(PassOutcome outcome);

}  // namespace lucid::reconcile
