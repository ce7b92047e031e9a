#include "lucid/accept/report.h"

#include <system_error>

#include <fmt/format.h>

#include "lucid/base/files.h"

namespace lucid::accept {

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kFail:
      return "fail";
    case Outcome::kNotImplemented:
      return "not-implemented";
  }
  return "?";
}

int Report::count(Outcome o) const {
  int n = 0;
  for (const auto& c : checks) n += c.outcome == o ? 1 : 0;
  return n;
}

nlohmann::ordered_json to_json(const CheckResult& r) {
  return {{"id", r.id},
          {"profile", r.profile},
          {"title", r.title},
          {"result", to_string(r.outcome)},
          {"evidence", r.evidence},
          {"duration_ms", r.duration_ms},
          {"detail", r.detail}};
}

nlohmann::ordered_json to_json(const Report& r) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const auto& c : r.checks) checks.push_back(to_json(c));
  return {{"format", kReportFormat},
          {"cluster", r.cluster},
          {"commit", r.commit},
          {"source", r.source},
          {"profiles", r.profiles},
          {"planes", r.planes},
          {"started", r.started},
          {"finished", r.finished},
          {"ok", r.ok()},
          {"summary",
           {{"pass", r.count(Outcome::kPass)},
            {"fail", r.count(Outcome::kFail)},
            {"not_implemented", r.count(Outcome::kNotImplemented)}}},
          {"checks", checks}};
}

std::filesystem::path report_path(const std::filesystem::path& state_dir, const std::string& cluster) {
  return state_dir / "acceptance" / (cluster + ".json");
}

Status write_report(const std::filesystem::path& state_dir, const Report& report) {
  auto path = report_path(state_dir, report.cluster);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot create the directory: {}; check --state-dir",
                                            path.parent_path().string(), ec.message()));
  std::string text = to_json(report).dump(2) + "\n";
  return write_file_atomic(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace lucid::accept
