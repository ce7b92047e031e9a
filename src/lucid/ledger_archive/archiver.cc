#include "lucid/ledger_archive/archiver.h"

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/chain/core_api.h"
#include "lucid/chain/signed_document.h"
#include "lucid/chain/snapshot.h"

namespace lucid::ledger_archive {

namespace {

void log_line(const std::string& text) {
  fmt::print(stderr, "blockchain-ledger: {}\n", text);
}

// The snapshot file of `height`: names sort by height.
std::string snapshot_name(std::uint64_t height) {
  return fmt::format("{:020}.snapshot", height);
}

}  // namespace

Archiver::Archiver(ArchiverOptions options, ArchiveStore store, std::unique_ptr<chain::Validator> observer)
    : options_(std::move(options)), store_(std::move(store)), observer_(std::move(observer)) {}

Result<std::unique_ptr<Archiver>> Archiver::start(ArchiverOptions options) {
  if (options.snapshot_every == 0)
    return fail(ErrorKind::kInvalidArgument, "--snapshot-every must be at least 1 block");
  if (options.keep_snapshots == 0)
    return fail(ErrorKind::kInvalidArgument, "--keep-snapshots must be at least 1");
  std::error_code ec;
  std::filesystem::create_directories(options.directory / "snapshots", ec);
  if (ec)
    return fail(ErrorKind::kIo, fmt::format("{}: cannot create the snapshot directory: {}",
                                            options.directory.string(), ec.message()));
  auto store = ArchiveStore::open(options.directory / "archive.db", options.chain.genesis.chain_id,
                                  to_hex(chain::genesis_hash(options.chain.genesis)));
  if (!store) return std::unexpected(store.error());
  auto archived = store->archived_height();
  if (!archived) return std::unexpected(archived.error());
  auto observer = chain::Validator::observe(options.chain);
  if (!observer) return std::unexpected(observer.error());
  std::unique_ptr<Archiver> archiver(
      new Archiver(std::move(options), std::move(*store), std::move(*observer)));
  {
    MutexLock lock(archiver->mu_);
    archiver->archived_height_ = *archived;
  }
  archiver->thread_ = std::thread([a = archiver.get()] { a->loop(); });
  return archiver;
}

Archiver::~Archiver() {
  stop();
}

void Archiver::stop() {
  if (stopping_.exchange(true)) return;
  { std::lock_guard lock(sleep_mu_); }
  sleep_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  observer_->stop();
}

void Archiver::loop() {
  for (;;) {
    {
      std::unique_lock lock(sleep_mu_);
      if (sleep_cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_.load(); })) return;
    }
    Status round = archive_once();
    MutexLock lock(mu_);
    const std::string error = round ? std::string() : round.error().message;
    if (!error.empty() && error != last_error_) log_line(error);
    last_error_ = error;
  }
}

Status Archiver::archive_once() {
  // Whatever became final since the last round, in batches; the observer's lock is held per batch.
  for (;;) {
    std::uint64_t from = 0;
    {
      MutexLock lock(mu_);
      from = archived_height_ + 1;
    }
    std::vector<ArchivedBlock> batch = observer_->read([&](const chain::Ledger& ledger) {
      std::vector<ArchivedBlock> blocks;
      for (std::uint64_t height = from; height <= ledger.final_height() && blocks.size() < kArchiveBatch;
           ++height) {
        const chain::ExecutedBlock* executed = ledger.block(height);
        if (executed == nullptr) break;
        nlohmann::json document = chain::CoreApi::block_document(*executed);
        auto receipts = nlohmann::json::array();
        for (const chain::Receipt& receipt : executed->receipts)
          receipts.push_back(chain::CoreApi::receipt_to_json(ledger.vm(), receipt));
        document["receipts"] = std::move(receipts);
        blocks.push_back(ArchivedBlock{height, to_hex(executed->hash), to_hex(executed->state_root),
                                       executed->block.header.time_ms, document.dump()});
      }
      return blocks;
    });
    if (batch.empty()) break;
    if (auto appended = store_.append(batch); !appended) return appended;
    MutexLock lock(mu_);
    archived_height_ = batch.back().height;
  }
  std::uint64_t archived = 0;
  {
    MutexLock lock(mu_);
    archived = archived_height_;
  }
  return snapshot_if_due(archived);
}

Status Archiver::snapshot_if_due(std::uint64_t archived) {
  auto existing = store_.snapshots();
  if (!existing) return std::unexpected(existing.error());
  const std::uint64_t last = existing->empty() ? 0 : existing->back().height;
  if (archived < last + options_.snapshot_every) return {};
  // The final state, copied under the observer's lock; written outside it.
  auto snapshot = observer_->read([](const chain::Ledger& ledger) { return ledger.final_snapshot(); });
  if (!snapshot || snapshot->height < last + options_.snapshot_every) return {};
  const std::string name = snapshot_name(snapshot->height);
  const std::string bytes = chain::encode_snapshot(*snapshot);
  if (auto written = write_file_atomic(options_.directory / "snapshots" / name, chain::bytes_of(bytes), 0644);
      !written)
    return written;
  SnapshotRecord record{snapshot->height, name, to_hex(snapshot->state_root), bytes.size()};
  if (auto recorded = store_.record_snapshot(record); !recorded) return recorded;
  log_line(fmt::format("snapshot at height {} ({} entries, {} bytes, root {})", snapshot->height,
                       snapshot->state.entries().size(), bytes.size(), record.state_root));
  existing->push_back(record);
  // The oldest beyond keep_snapshots go: first from the archive's list, then the file.
  for (std::size_t i = 0; i + options_.keep_snapshots < existing->size(); ++i) {
    const SnapshotRecord& old = (*existing)[i];
    if (auto forgotten = store_.forget_snapshot(old.height); !forgotten) return forgotten;
    std::error_code ec;
    std::filesystem::remove(snapshot_path(old), ec);
  }
  return {};
}

std::filesystem::path Archiver::snapshot_path(const SnapshotRecord& snapshot) const {
  return options_.directory / "snapshots" / snapshot.file;
}

nlohmann::json Archiver::status() const {
  const chain::ValidatorStatus observed = observer_->status();
  std::uint64_t archived = 0;
  std::string error;
  {
    MutexLock lock(mu_);
    archived = archived_height_;
    error = last_error_;
  }
  auto snapshots = nlohmann::json::array();
  if (auto listed = store_.snapshots(); listed)
    for (const SnapshotRecord& s : *listed)
      snapshots.push_back(
          {{"height", s.height}, {"file", s.file}, {"state_root", s.state_root}, {"bytes", s.bytes}});
  return nlohmann::json{
      {"chain_id", observed.chain_id},
      {"archived_height", archived},
      {"final_height", observed.final_height},
      {"lag_blocks", observed.final_height > archived ? observed.final_height - archived : 0},
      {"snapshot_every", options_.snapshot_every},
      {"snapshots", snapshots},
      {"last_error", error},
      {"observer", chain::validator_status_to_json(observed)}};
}

std::string Archiver::unhealthy_reason() const {
  const chain::ValidatorStatus observed = observer_->status();
  if (observed.halted) return "the chain observer halted on an incident (see /v1/status)";
  if (!observed.connected) return fmt::format("not connected to etcd: {}", observed.last_error);
  MutexLock lock(mu_);
  if (!last_error_.empty()) return fmt::format("archiving fails: {}", last_error_);
  if (observed.final_height > archived_height_ + options_.max_lag_blocks)
    return fmt::format("the archive is at height {}, {} blocks behind the final height {} (allowed: {})",
                       archived_height_, observed.final_height - archived_height_, observed.final_height,
                       options_.max_lag_blocks);
  return {};
}

}  // namespace lucid::ledger_archive
