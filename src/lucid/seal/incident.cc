#include "lucid/seal/incident.h"

#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/time.h"

namespace lucid::seal {
namespace fs = std::filesystem;

Status append_incident(const fs::path& log, const Incident& incident) {
  nlohmann::json line = {
      {"time", utc_now_rfc3339()},
      {"session_id", incident.session_id},
      {"chunk_index", incident.chunk_index ? nlohmann::json(*incident.chunk_index) : nlohmann::json()},
      {"reason", incident.reason},
      {"detail", incident.detail},
      {"directory", incident.directory}};
  return append_line(log, line.dump(), 0600);
}

fs::path default_incident_log(const fs::path& session_dir) {
  fs::path abs = fs::absolute(session_dir).lexically_normal();
  if (!abs.has_filename()) abs = abs.parent_path();
  return abs.parent_path() / "lucid-incidents.jsonl";
}

}  // namespace lucid::seal
