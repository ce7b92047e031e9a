#include "lucid/reconcile/outcome.h"

#include <array>
#include <utility>

#include <fmt/format.h>

namespace lucid::reconcile {
namespace {

constexpr std::array<std::pair<PassOutcome, std::string_view>, 10> kPassOutcomes{{
    {PassOutcome::kUnchanged, "unchanged"},
    {PassOutcome::kPromoted, "promoted"},
    {PassOutcome::kCorrected, "corrected"},
    {PassOutcome::kHeld, "held"},
    {PassOutcome::kRolledBack, "rolled-back"},
    {PassOutcome::kRefused, "refused"},
    {PassOutcome::kFailed, "failed"},
    {PassOutcome::kSkippedBad, "skipped-bad"},
    {PassOutcome::kRepaired, "repaired"},
    {PassOutcome::kUnreachable, "unreachable"},
}};

constexpr std::array<std::pair<AttemptKind, std::string_view>, 3> kAttemptKinds{{
    {AttemptKind::kDeploy, "deploy"},
    {AttemptKind::kRollback, "rollback"},
    {AttemptKind::kDrift, "drift"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [e, text] : table)
    if (e == value) return text;
  return "?";
}

template <typename E, std::size_t N>
Result<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text,
                   std::string_view what) {
  for (const auto& [e, name] : table)
    if (name == text) return e;
  return fail(ErrorKind::kCorrupt, fmt::format("unknown {} '{}'", what, text));
}

}  // namespace

std::string_view to_string(PassOutcome outcome) {
  return name_of(kPassOutcomes, outcome);
}
std::string_view to_string(AttemptKind kind) {
  return name_of(kAttemptKinds, kind);
}
Result<PassOutcome> parse_pass_outcome(std::string_view text) {
  return value_of(kPassOutcomes, text, "pass outcome");
}
Result<AttemptKind> parse_attempt_kind(std::string_view text) {
  return value_of(kAttemptKinds, text, "attempt kind");
}

bool healthy_outcome(PassOutcome outcome) {
  return outcome == PassOutcome::kUnchanged || outcome == PassOutcome::kPromoted ||
         outcome == PassOutcome::kCorrected || outcome == PassOutcome::kRepaired;
}

}  // namespace lucid::reconcile
