#include "lucid/seal/verify_session.h"

#include <mutex>

#include <fmt/format.h>

#include "lucid/base/parallel.h"
#include "lucid/seal/chunk_store.h"
#include "lucid/seal/format.h"
#include "lucid/seal/session_file.h"

namespace lucid::seal {
namespace fs = std::filesystem;

Result<Manifest> read_manifest(const fs::path& dir) {
  fs::path path = dir / kManifestFileName;
  auto text = read_session_text(dir, kManifestFileName, kMaxManifestBytes);
  if (!text) return std::unexpected(text.error());
  auto m = parse_manifest(*text);
  if (!m) return std::unexpected(with_context(path.string(), m.error()));
  return m;
}

Result<VerifyReport> verify_session(const fs::path& dir,
                                    const std::optional<crypto::Ed25519PublicKey>& expected_node_key,
                                    unsigned threads) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return fail(ErrorKind::kNotFound,
                fmt::format("{}: not a session directory (no such directory)", dir.string()));
  }
  VerifyReport report;
  auto manifest = read_manifest(dir);
  // An unreadable or unparseable manifest leaves nothing to verify: one error, not a report.
  if (!manifest) return std::unexpected(manifest.error());
  report.problems = check_manifest(*manifest, expected_node_key);
  if (auto h = manifest->hash()) report.manifest_hash = *h;

  std::vector<std::optional<ChunkFault>> faults(manifest->chunks.size());
  std::mutex mu;
  std::uint64_t hashed = 0;
  parallel_for(manifest->chunks.size(), threads, [&](std::size_t i) {
    thread_local std::vector<std::uint8_t> buffer;
    faults[i] = load_chunk(dir, manifest->chunks[i], buffer);
    std::lock_guard lock(mu);
    hashed += buffer.size();
  });
  report.bytes_hashed = hashed;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    if (faults[i]) report.problems.push_back({fmt::format("chunk {}", i), faults[i]->detail, i});
  }
  for (const auto& extra : unexpected_chunk_files(dir, manifest->chunks.size())) {
    report.problems.push_back(
        {"file " + extra, "is not listed in the manifest (an added or duplicated chunk)", std::nullopt});
  }
  report.manifest = std::move(*manifest);
  return report;
}

}  // namespace lucid::seal
