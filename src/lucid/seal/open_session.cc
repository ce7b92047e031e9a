#include "lucid/seal/open_session.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/parallel.h"
#include "lucid/base/random.h"
#include "lucid/seal/chunk_codec.h"
#include "lucid/seal/chunk_store.h"
#include "lucid/seal/manifest_check.h"
#include "lucid/seal/verify_session.h"

namespace lucid::seal {
namespace fs = std::filesystem;

namespace {

// One decrypted (or failed) chunk waiting for its turn to be written.
struct Slot {
  bool done = false;
  std::vector<std::uint8_t> plaintext;
  std::optional<ChunkFault> fault;
};

Error incident_error(const Incident& incident, const fs::path& log) {
  std::string where =
      incident.chunk_index ? fmt::format("chunk {}", *incident.chunk_index) : std::string("manifest");
  return Error{
      ErrorKind::kAuthentication,
      fmt::format("{}: {} ({}); no plaintext of it or anything after it was written; incident logged to {}",
                  where, incident.detail, incident.reason, log.string())};
}

Error log_incident(const Incident& incident, const fs::path& log) {
  Error e = incident_error(incident, log);
  if (auto s = append_incident(log, incident); !s)
    e.message += fmt::format(" — but writing the incident log failed: {}", s.error().message);
  return e;
}

}  // namespace

Result<OpenSummary> open_session(const fs::path& dir, const SessionKey& session_key, const fs::path& output,
                                 const OpenOptions& options) {
  auto manifest = read_manifest(dir);
  if (!manifest) return std::unexpected(manifest.error());
  Manifest& m = *manifest;
  Incident base{m.session_id, std::nullopt, "", "", fs::absolute(dir).string()};

  if (auto problems = check_manifest(m, options.expected_node_key); !problems.empty()) {
    Incident i = base;
    i.reason = "manifest-invalid";
    i.detail = problems.front().subject + ": " + problems.front().message;
    i.chunk_index = problems.front().chunk_index;
    return std::unexpected(log_incident(i, options.incident_log));
  }
  if (auto extra = unexpected_chunk_files(dir, m.chunks.size()); !extra.empty()) {
    Incident i = base;
    i.reason = "unexpected-chunk-file";
    i.detail = fmt::format("{} is not listed in the manifest (an added or duplicated chunk)", extra.front());
    return std::unexpected(log_incident(i, options.incident_log));
  }
  SessionId id{};
  parse_uuid(m.session_id, id);

  const bool to_stdout = output == "-";
  std::optional<StagingFile> file;
  if (!to_stdout) {
    auto f = StagingFile::create(output, 0600);
    if (!f) return std::unexpected(f.error());
    file.emplace(std::move(*f));
  }
  const int out_fd = to_stdout ? STDOUT_FILENO : file->fd();

  // Workers decrypt ahead of the writer by at most `window` chunks; the writer (this thread) emits
  // them strictly in order and stops at the first failure.
  const unsigned threads = options.threads == 0 ? default_thread_count() : options.threads;
  const std::size_t count = m.chunks.size();
  const std::size_t window = threads + 2;
  std::vector<Slot> slots(count);
  std::mutex mu;
  std::condition_variable cv;
  std::size_t next_job = 0;
  std::size_t written = 0;
  bool stop = false;

  auto worker = [&] {
    ChunkCodec codec(m.compression_level);
    std::vector<std::uint8_t> sealed;
    for (;;) {
      std::size_t i;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || next_job >= count || next_job < written + window; });
        if (stop || next_job >= count) return;
        i = next_job++;
      }
      Slot result;
      result.fault = load_chunk(dir, m.chunks[i], sealed);
      if (!result.fault) {
        auto s = codec.open(session_key, id, {i, i + 1 == count}, sealed, m.chunk_size, result.plaintext);
        if (!s) {
          result.fault =
              ChunkFault{s.error().kind == ErrorKind::kAuthentication ? "aead-failure" : "decompress-failure",
                         s.error().message};
        } else if (result.plaintext.size() != m.chunks[i].plain_bytes) {
          result.fault =
              ChunkFault{"length-mismatch", fmt::format("plaintext is {} bytes, the manifest says {}",
                                                        result.plaintext.size(), m.chunks[i].plain_bytes)};
        }
        if (result.fault) {
          secure_zero(result.plaintext.data(), result.plaintext.size());
          result.plaintext.clear();
        }
      }
      result.done = true;
      {
        std::lock_guard lock(mu);
        slots[i] = std::move(result);
      }
      cv.notify_all();
    }
  };

  std::optional<Incident> incident;
  Status write_status;
  OpenSummary summary;
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (std::size_t i = 0; i < count; ++i) {
      Slot slot;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return slots[i].done; });
        slot = std::move(slots[i]);
      }
      if (slot.fault) {
        incident = base;
        incident->chunk_index = i;
        incident->reason = slot.fault->reason;
        incident->detail = slot.fault->detail;
        break;
      }
      write_status =
          write_all(out_fd, slot.plaintext, to_stdout ? std::string("standard output") : output.string());
      secure_zero(slot.plaintext.data(), slot.plaintext.size());
      if (!write_status) break;
      summary.bytes_written += slot.plaintext.size();
      {
        std::lock_guard lock(mu);
        written = i + 1;
      }
      cv.notify_all();
    }
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
  }
  for (auto& s : slots) secure_zero(s.plaintext.data(), s.plaintext.size());

  if (incident) {
    if (file) file->discard();
    return std::unexpected(log_incident(*incident, options.incident_log));
  }
  if (!write_status) return std::unexpected(write_status.error());
  if (file) {
    if (auto s = file->commit(); !s) return std::unexpected(s.error());
  }
  summary.manifest = std::move(m);
  return summary;
}

}  // namespace lucid::seal
