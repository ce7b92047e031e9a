#include "lucid/seal/seal_session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/parallel.h"
#include "lucid/base/random.h"
#include "lucid/base/time.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/chunk_codec.h"
#include "lucid/version.h"

namespace lucid::seal {
namespace fs = std::filesystem;

Status validate_seal_options(const SealOptions& o) {
  if (o.chunk_size < kMinChunkSize || o.chunk_size > kMaxChunkSize) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("chunk size {} is outside the allowed 8–16 MiB ({}..{} bytes)", o.chunk_size,
                            kMinChunkSize, kMaxChunkSize));
  }
  if (o.zstd_level < 1 || o.zstd_level > 19) {
    return fail(ErrorKind::kInvalidArgument, fmt::format("zstd level {} is outside 1..19", o.zstd_level));
  }
  // What a reader would refuse (format.h bounds) is refused before anything is sealed.
  if (o.participants.size() + 1 > kMaxParticipants)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} participants besides the node; at most {} are allowed", o.participants.size(),
                            kMaxParticipants - 1));
  if (SessionId id{}; !o.session_id.empty() && !parse_uuid(o.session_id, id))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("session id {:?} is not a UUID in canonical form", o.session_id.substr(0, 64)));
  if (o.codec.size() > kMaxManifestStringBytes || o.device_fingerprint.size() > kMaxManifestStringBytes)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("codec or device fingerprint longer than {} bytes", kMaxManifestStringBytes));
  return {};
}

namespace {

// Fills `buf` with up to `want` bytes; fewer only at end of input.
Result<std::size_t> read_full(int fd, std::vector<std::uint8_t>& buf, std::size_t want) {
  buf.resize(want);
  std::size_t done = 0;
  while (done < want) {
    ssize_t n = ::read(fd, buf.data() + done, want - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorKind::kIo, fmt::format("cannot read input: {}", errno_text(errno)));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  buf.resize(done);
  return done;
}

struct Job {
  std::uint64_t index = 0;
  bool last = false;
  std::vector<std::uint8_t> plaintext;
};

// The sealing stage: workers take jobs, seal them and write each chunk file directly (files are
// independent, so no ordering is needed on the write side; the manifest is ordered by index).
class SealWorkers {
 public:
  SealWorkers(const fs::path& dir, const SessionKey& key, const SessionId& id, const SealOptions& o)
      : dir_(dir), key_(key), id_(id), options_(o), slots_(threads(o) + 2) {
    for (unsigned t = 0; t < threads(o); ++t) pool_.emplace_back([this] { run(); });
  }
  ~SealWorkers() { finish(); }

  static unsigned threads(const SealOptions& o) {
    return o.threads == 0 ? default_thread_count() : o.threads;
  }

  // A buffer to fill; nullopt once a worker has failed. The buffer counts against memory until sealed.
  std::optional<std::vector<std::uint8_t>> take_buffer() {
    if (!slots_.acquire()) return std::nullopt;
    std::lock_guard lock(mu_);
    if (spare_.empty()) return std::vector<std::uint8_t>();
    auto b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }
  void return_buffer(std::vector<std::uint8_t> b) {
    {
      std::lock_guard lock(mu_);
      spare_.push_back(std::move(b));
    }
    slots_.release();
  }

  void submit(Job job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

  // Waits for all submitted jobs; returns the first failure, if any.
  Status finish() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    pool_.clear();  // joins
    std::lock_guard lock(mu_);
    if (error_) return std::unexpected(*error_);
    return {};
  }

  std::vector<ManifestChunk> entries() {
    std::lock_guard lock(mu_);
    return entries_;
  }
  std::uint64_t sealed_bytes() {
    std::lock_guard lock(mu_);
    return sealed_bytes_;
  }

 private:
  void run() {
    ChunkCodec codec(options_.zstd_level);
    std::vector<std::uint8_t> sealed;
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !jobs_.empty() || closing_; });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      codec.seal(key_, id_, {job.index, job.last}, job.plaintext, sealed);
      ManifestChunk entry{job.index, sealed.size(), job.plaintext.size(), crypto::merkle_leaf_hash(sealed)};
      secure_zero(job.plaintext.data(), job.plaintext.size());
      return_buffer(std::move(job.plaintext));
      auto written = write_chunk(job.index, sealed);
      std::lock_guard lock(mu_);
      if (!written) {
        if (!error_) error_ = written.error();
        slots_.close();
        continue;
      }
      if (entries_.size() <= job.index) entries_.resize(job.index + 1);
      entries_[job.index] = entry;
      sealed_bytes_ += sealed.size();
    }
  }

  Status write_chunk(std::uint64_t index, const std::vector<std::uint8_t>& sealed) {
    fs::path path = dir_ / chunk_relative_path(index);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
      return fail(ErrorKind::kIo, fmt::format("{}: cannot create: {}", path.string(), errno_text(errno)));
    auto s = write_all(fd, sealed, path.string());
    // Start writeback now so the disk works while we seal the next chunks; sync_chunks() waits
    // for it at the end. (A per-chunk fsync here would serialise sealing behind the disk.)
    if (s && options_.fsync) ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    ::close(fd);
    return s;
  }

  const fs::path& dir_;
  const SessionKey& key_;
  const SessionId& id_;
  const SealOptions& options_;
  Slots slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::vector<std::vector<std::uint8_t>> spare_;
  std::vector<ManifestChunk> entries_;
  std::uint64_t sealed_bytes_ = 0;
  std::optional<Error> error_;
  bool closing_ = false;
  std::vector<std::jthread> pool_;
};

// Waits until every chunk file of the session is on stable storage.
Status sync_chunks(const fs::path& dir, std::uint64_t count, unsigned threads) {
  std::mutex mu;
  Status result;
  parallel_for(count, threads, [&](std::size_t i) {
    fs::path path = dir / chunk_relative_path(i);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    int err = fd < 0 || ::fsync(fd) != 0 ? errno : 0;
    if (fd >= 0) ::close(fd);
    if (err == 0) return;
    std::lock_guard lock(mu);
    if (result) result = fail(ErrorKind::kIo, fmt::format("{}: fsync: {}", path.string(), errno_text(err)));
  });
  return result;
}

}  // namespace

Result<SealSummary> seal_stream(int input_fd, const fs::path& out_dir, const crypto::Ed25519KeyPair& node_key,
                                const SessionKey& session_key, const SealOptions& options) {
  if (auto s = validate_seal_options(options); !s) return std::unexpected(s.error());
  auto staging = StagingDir::create(out_dir);
  if (!staging) return std::unexpected(staging.error());
  std::error_code ec;
  fs::create_directory(staging->path() / kChunksDirName, ec);
  if (ec)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot create: {}",
                                            (staging->path() / kChunksDirName).string(), ec.message()));

  Manifest m;
  m.session_id = options.session_id.empty() ? uuid_v4() : options.session_id;
  SessionId id{};
  parse_uuid(m.session_id, id);
  m.created_at = utc_now_rfc3339();

  std::uint64_t total = 0;
  std::uint64_t count = 0;
  Status read_status;
  {
    SealWorkers workers(staging->path(), session_key, id, options);
    // Read one chunk ahead: a chunk is known to be the last only when the next read finds EOF.
    auto current = workers.take_buffer();
    if (current) {
      if (auto n = read_full(input_fd, *current, options.chunk_size); !n)
        read_status = std::unexpected(n.error());
    }
    while (current && read_status) {
      bool last = current->size() < options.chunk_size;
      std::optional<std::vector<std::uint8_t>> next;
      if (!last) {
        next = workers.take_buffer();
        if (!next) break;  // a worker failed; its error is reported below
        auto n = read_full(input_fd, *next, options.chunk_size);
        if (!n) {
          read_status = std::unexpected(n.error());
          break;
        }
        last = *n == 0;
      }
      if (count == kMaxChunkCount) {
        read_status =
            fail(ErrorKind::kInvalidArgument,
                 fmt::format("the recording is longer than a session may hold ({} chunks of {} bytes); "
                             "split it or use a larger --chunk-size",
                             kMaxChunkCount, options.chunk_size));
        break;
      }
      total += current->size();
      workers.submit(Job{count++, last, std::move(*current)});
      if (options.progress) options.progress(count, total);
      if (last) {
        if (next) workers.return_buffer(std::move(*next));
        break;
      }
      current = std::move(next);
    }
    if (auto s = workers.finish(); !s) return std::unexpected(s.error());
    if (!read_status) return std::unexpected(read_status.error());
    m.chunks = workers.entries();
  }
  if (m.chunks.size() != count) return fail(ErrorKind::kInternal, "chunk bookkeeping mismatch");

  m.codec = options.codec;
  m.compression_level = options.zstd_level;
  m.chunk_size = options.chunk_size;
  m.chunk_count = count;
  m.total_bytes = total;
  std::vector<crypto::Digest> leaves;
  SealSummary summary;
  for (const auto& c : m.chunks) {
    leaves.push_back(c.leaf_hash);
    summary.sealed_bytes += c.sealed_bytes;
  }
  m.merkle_root = crypto::merkle_root(leaves);
  m.participants.push_back({"node", node_key.public_key()});
  for (const auto& p : options.participants) m.participants.push_back({"participant", p});
  m.recorder_software = "lucid-node-worker";
  m.recorder_version = kLucidVersion;
  m.device_fingerprint = options.device_fingerprint;
  if (auto s = m.sign(node_key); !s) return std::unexpected(s.error());
  auto text = serialize_manifest(m);
  if (!text) return std::unexpected(text.error());
  if (auto s = write_file_atomic(staging->path() / kManifestFileName,
                                 {reinterpret_cast<const std::uint8_t*>(text->data()), text->size()});
      !s)
    return std::unexpected(s.error());
  if (options.fsync) {
    if (auto s = sync_chunks(staging->path(), count, SealWorkers::threads(options)); !s)
      return std::unexpected(s.error());
    if (auto s = fsync_directory(staging->path() / kChunksDirName); !s) return std::unexpected(s.error());
  }
  if (auto s = staging->commit(); !s) return std::unexpected(s.error());
  auto hash = m.hash();
  if (!hash) return std::unexpected(hash.error());
  summary.manifest_hash = *hash;
  summary.manifest = std::move(m);
  return summary;
}

}  // namespace lucid::seal
