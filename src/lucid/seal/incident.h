// The incident log: one JSON line per integrity failure met while opening a session (SPEC-4's
// "incident flag on AEAD failure"), appended atomically so concurrent writers never interleave.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "lucid/base/result.h"

namespace lucid::seal {

struct Incident {
  std::string session_id;                    // may be empty when the manifest was unreadable
  std::optional<std::uint64_t> chunk_index;  // absent for manifest-level failures
  std::string reason;                        // aead-failure, leaf-hash-mismatch, manifest-invalid, ...
  std::string detail;                        // the human message (never contains key material)
  std::string directory;
};

// {"time":…,"session_id":…,"chunk_index":…,"reason":…,"detail":…,"directory":…}
Status append_incident(const std::filesystem::path& log, const Incident& incident);

// Where incidents go when --incident-log is not given: "lucid-incidents.jsonl" beside DIR.
std::filesystem::path default_incident_log(const std::filesystem::path& session_dir);

}  // namespace lucid::seal
