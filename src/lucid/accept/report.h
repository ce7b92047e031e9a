// Acceptance results: one CheckResult per check (pass / fail / not-implemented, a one-line evidence
// and structured detail), the Report of one run, its JSON (docs/formats.md "Acceptance results") and
// the atomic file <state-dir>/acceptance/<cluster>.json the site's /status includes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid::accept {

inline constexpr const char* kReportFormat = "lucid-acceptance/1";

enum class Outcome { kPass, kFail, kNotImplemented };
const char* to_string(Outcome o);  // "pass", "fail", "not-implemented"

struct CheckResult {
  std::string id;       // "node.sample-payload-sealed"
  std::string profile;  // "node", … or "cluster" for the checks every cluster runs
  std::string title;    // the SPEC-4 wording
  Outcome outcome = Outcome::kNotImplemented;
  std::string evidence;                                              // one line: what was observed
  nlohmann::ordered_json detail = nlohmann::ordered_json::object();  // structured evidence
  std::int64_t duration_ms = 0;
};

struct Report {
  std::string cluster;
  std::string commit;  // the commit whose clusters.yaml chose the checks ("" with --repo-checkout)
  std::string source;  // "last-good" or "checkout:<dir>"
  std::vector<std::string> profiles;
  std::vector<std::string> planes;
  std::string started, finished;  // RFC 3339 UTC
  std::vector<CheckResult> checks;

  int count(Outcome o) const;
  // No check failed (not-implemented is not a failure, and never a pass).
  bool ok() const { return count(Outcome::kFail) == 0; }
};

nlohmann::ordered_json to_json(const CheckResult& r);
nlohmann::ordered_json to_json(const Report& r);

// <state-dir>/acceptance/<cluster>.json
std::filesystem::path report_path(const std::filesystem::path& state_dir, const std::string& cluster);

// Writes to_json(report) to report_path() atomically (0644; the directory is created 0755).
Status write_report(const std::filesystem::path& state_dir, const Report& report);

}  // namespace lucid::accept
