#include "lucid/seal/heartbeat.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/time.h"

namespace lucid::seal {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string seconds(std::int64_t ms) {
  return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
}

}  // namespace

Status write_heartbeat(const fs::path& file, const Heartbeat& h) {
  json j = {{"pid", h.pid},
            {"state", h.state},
            {"time", utc_now_rfc3339()},
            {"unix_ms", unix_ms_now()},
            {"started_at", h.started_at},
            {"heartbeat_ms", h.interval.count()},
            {"sealed", h.sealed},
            {"failed", h.failed},
            {"sealing", h.sealing.empty() ? json() : json(h.sealing)}};
  std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";  // names may not be UTF-8
  return write_file_atomic(file, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, 0644);
}

Result<std::string> check_heartbeat(const fs::path& file, std::optional<std::chrono::milliseconds> max_age) {
  auto text = read_text_file(file);
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound)
      return fail(ErrorKind::kNotFound,
                  fmt::format("{}: absent; the worker (lucid-node-worker run) has not started on this spool",
                              file.string()));
    return std::unexpected(text.error());
  }
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("unix_ms") || !j["unix_ms"].is_number_integer() ||
      !j.contains("state") || !j["state"].is_string())
    return fail(ErrorKind::kCorrupt,
                fmt::format("{}: not a heartbeat file (expected JSON with \"state\" and \"unix_ms\")",
                            file.string()));
  long pid = j.value("pid", 0L);
  if (j["state"] != "running")
    return fail(ErrorKind::kNotFound, fmt::format("{}: the worker (pid {}) is {} since {}", file.string(),
                                                  pid, j["state"].get<std::string>(), j.value("time", "?")));
  std::chrono::milliseconds limit =
      max_age.value_or(std::chrono::milliseconds(3 * j.value("heartbeat_ms", std::int64_t{5000})));
  std::int64_t age = unix_ms_now() - j["unix_ms"].get<std::int64_t>();
  if (age > limit.count())
    return fail(
        ErrorKind::kIo,
        fmt::format("{}: stale: last heartbeat {} ago (max age {}); the worker (pid {}) is stuck or gone",
                    file.string(), seconds(age), seconds(limit.count()), pid));
  std::string sealing = j.contains("sealing") && j["sealing"].is_string()
                            ? fmt::format(", sealing {}", j["sealing"].get<std::string>())
                            : "";
  return fmt::format("ok: worker pid {}, last heartbeat {} ago, {} sealed, {} failed{}", pid,
                     seconds(std::max<std::int64_t>(age, 0)), j.value("sealed", 0), j.value("failed", 0),
                     sealing);
}

}  // namespace lucid::seal
