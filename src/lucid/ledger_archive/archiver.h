// blockchain-ledger's archiver: an observer of the chain (chain::Validator::observe: it checks and
// executes every ordered block and counts the validators' votes, keyless) whose final blocks, with
// their votes and receipts, go into the archive in height order, and whose final state is written
// as a snapshot every `snapshot_every` final blocks (the last `keep_snapshots` kept). Validators and
// auditors start from those snapshots instead of genesis (docs/chain.md "blockchain-ledger").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "lucid/base/thread_annotations.h"
#include "lucid/chain/validator.h"
#include "lucid/ledger_archive/archive_store.h"

namespace lucid::ledger_archive {

struct ArchiverOptions {
  chain::ValidatorOptions chain;        // genesis, the ordering cluster's endpoints, key prefix
  std::filesystem::path directory;      // holds archive.db and snapshots/
  std::uint64_t snapshot_every = 1000;  // final blocks between two snapshots
  std::size_t keep_snapshots = 3;
  std::uint64_t max_lag_blocks = 50;  // health: the archive within this many blocks of the final height
  std::chrono::milliseconds poll_interval{500};
};

// Blocks archived per transaction: bounds the time the observer's lock is held to build them.
inline constexpr std::size_t kArchiveBatch = 256;

class Archiver {
 public:
  static Result<std::unique_ptr<Archiver>> start(ArchiverOptions options);
  ~Archiver();
  Archiver(const Archiver&) = delete;
  Archiver& operator=(const Archiver&) = delete;
  void stop();

  // {"chain_id", "archived_height", "final_height", "lag_blocks", "snapshots": [...], "last_error",
  //  "observer": <the observer's validator status>}
  nlohmann::json status() const;
  // Empty when healthy, else why not (observer disconnected or halted, archive behind, write failing).
  std::string unhealthy_reason() const;

  const ArchiveStore& store() const { return store_; }
  const std::filesystem::path& store_directory() const { return options_.directory; }
  std::filesystem::path snapshot_path(const SnapshotRecord& snapshot) const;

  // One round: archives what became final, then snapshots when due. The loop calls it every
  // poll_interval; tests may call it directly.
  Status archive_once();

 private:
  Archiver(ArchiverOptions options, ArchiveStore store, std::unique_ptr<chain::Validator> observer);
  Status snapshot_if_due(std::uint64_t archived);
  void loop();

  ArchiverOptions options_;
  ArchiveStore store_;
  std::unique_ptr<chain::Validator> observer_;
  mutable Mutex mu_;
  std::string last_error_ GUARDED_BY(mu_);
  std::uint64_t archived_height_ GUARDED_BY(mu_) = 0;
  std::atomic<bool> stopping_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::thread thread_;
};

}  // namespace lucid::ledger_archive
