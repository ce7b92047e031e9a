#include "lucid/ledger_archive/archive_api.h"

#include <charconv>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/prometheus.h"

namespace lucid::ledger_archive {

namespace {

using http::error_response;
using http::json_response;
using nlohmann::json;

std::optional<std::uint64_t> parse_height(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

http::Response ArchiveApi::handle(const http::Request& request) const {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (request.method != "GET") return error_response(405, "read-only: only GET here");
  if (path == "/health") return health();
  if (path == "/metrics") return metrics();
  if (path == "/v1/status") return json_response(200, archiver_.status());
  if (path == "/v1/snapshots")
    return json_response(200, json{{"snapshots", archiver_.status()["snapshots"]}});
  if (path.starts_with("/v1/snapshots/")) return snapshot(path.substr(14));
  if (path.starts_with("/v1/blocks/")) return block(path.substr(11));
  return error_response(404, "no such endpoint (docs/formats.md \"the API of lucid-blockchain-ledger\")");
}

http::Response ArchiveApi::block(const std::string& which) const {
  auto height = parse_height(which);
  if (!height) return error_response(400, "expected /v1/blocks/<height>");
  auto document = archiver_.store().block_document(*height);
  if (!document) return error_response(503, document.error().message);
  if (!*document) {
    auto archived = archiver_.store().archived_height();
    return error_response(
        404, fmt::format("height {} is not archived (archived up to {})", *height, archived ? *archived : 0));
  }
  return {200, "application/json", **document + "\n"};
}

http::Response ArchiveApi::snapshot(const std::string& which) const {
  auto listed = archiver_.store().snapshots();
  if (!listed) return error_response(503, listed.error().message);
  if (listed->empty()) return error_response(404, "no snapshot yet");
  const SnapshotRecord* chosen = nullptr;
  if (which == "latest") {
    chosen = &listed->back();
  } else {
    auto height = parse_height(which);
    if (!height) return error_response(400, "expected /v1/snapshots/<height> or /v1/snapshots/latest");
    for (const SnapshotRecord& s : *listed)
      if (s.height == *height) chosen = &s;
    if (chosen == nullptr)
      return error_response(404,
                            fmt::format("no snapshot at height {} (GET /v1/snapshots lists them)", *height));
  }
  auto bytes = read_file(archiver_.snapshot_path(*chosen));
  if (!bytes) return error_response(503, bytes.error().message);
  return {200,
          "application/octet-stream",
          std::string(bytes->begin(), bytes->end()),
          {{"X-Lucid-Snapshot-Height", std::to_string(chosen->height)},
           {"X-Lucid-State-Root", chosen->state_root}}};
}

http::Response ArchiveApi::health() const {
  const json status = archiver_.status();
  json body{{"archived_height", status["archived_height"]}, {"final_height", status["final_height"]}};
  if (std::string reason = archiver_.unhealthy_reason(); !reason.empty()) {
    body["error"] = reason;
    return json_response(503, body);
  }
  body["ok"] = true;
  return json_response(200, body);
}

http::Response ArchiveApi::metrics() const {
  const json status = archiver_.status();
  PrometheusWriter out;
  out.single("lucid_ledger_archived_height", "gauge", "Highest final block in the archive.",
             status.value("archived_height", 0ULL));
  out.single("lucid_ledger_final_height", "gauge", "Highest final height the observer counted.",
             status.value("final_height", 0ULL));
  out.single("lucid_ledger_lag_blocks", "gauge", "Final blocks not archived yet.",
             status.value("lag_blocks", 0ULL));
  const json& snapshots = status["snapshots"];
  out.single("lucid_ledger_snapshots", "gauge", "Snapshots kept.", snapshots.size());
  out.single("lucid_ledger_last_snapshot_height", "gauge", "Height of the newest snapshot (0: none).",
             snapshots.empty() ? 0ULL : snapshots.back().value("height", 0ULL));
  out.single("lucid_ledger_healthy", "gauge", "1 when /health passes.", archiver_.unhealthy_reason().empty());
  return {200, "text/plain; version=0.0.4", out.take()};
}

}  // namespace lucid::ledger_archive
