// blockchain-sessions-data's follower: polls blockchain-core (failing over between the URLs it is
// given) for its final height and the AnchorRegistry events up to it, and stores them batch by batch
// in the SessionStore, resuming from the store's height after a restart. It indexes only final
// heights, so nothing it stored is ever undone; it refuses a core of another chain than the store's.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/chain/core_api.h"
#include "lucid/chain_index/core_client.h"
#include "lucid/chain_index/session_store.h"

namespace lucid::chain_index {

struct IndexerOptions {
  std::vector<std::string> cores;  // base URLs of blockchain-core validators, tried in this order
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds request_timeout{10000};
  std::uint64_t batch_blocks = chain::kMaxEventBlockRange;  // heights per events request and transaction
  // Batches one poll stores at most before it reports progress and polls again at once.
  std::size_t batches_per_poll = 20;
};

// What /v1/status, /health and /metrics show.
struct IndexerStatus {
  std::string chain_id;  // as the store recorded it ("" before the first poll of a new store)
  std::uint64_t indexed_height = 0;
  std::uint64_t chain_final_height = 0;  // core's, at the last poll that reached it
  std::uint64_t sessions = 0;
  std::uint64_t chunk_anchors = 0;
  std::optional<std::chrono::steady_clock::time_point> last_success;  // of a whole poll
  std::string last_error;  // why the last poll failed; "" once one succeeds
  std::string core;        // the core the last poll used or tried last
  std::uint64_t polls = 0;
  std::uint64_t poll_errors = 0;

  std::uint64_t lag_blocks() const {
    return chain_final_height > indexed_height ? chain_final_height - indexed_height : 0;
  }
};

class Indexer {
 public:
  // Reads the store's figures, then polls in a thread of its own until stop().
  static Result<std::unique_ptr<Indexer>> start(SessionStore& store, IndexerOptions options);
  ~Indexer();
  Indexer(const Indexer&) = delete;
  Indexer& operator=(const Indexer&) = delete;

  void stop();
  IndexerStatus status() const EXCLUDES(mu_);

 private:
  Indexer(SessionStore& store, IndexerOptions options);
  void run();
  // One poll: the first core that answers, starting with the one that answered last.
  Status poll();
  Status poll_core(std::size_t index);
  // The chain `core` serves must be the store's (recorded on first use).
  Status check_chain(std::size_t index, const CoreStatus& status);
  // The events of from..to, or of from..h-1 when core truncated its answer at height h.
  Result<IndexBatch> read_batch(const CoreClient& core, std::uint64_t from, std::uint64_t to) const;
  Status record_totals() EXCLUDES(mu_);
  void note_poll(const Status& outcome) EXCLUDES(mu_);

  SessionStore& store_;
  IndexerOptions options_;
  std::vector<CoreClient> cores_;
  // The poll thread's own.
  std::size_t current_core_ = 0;
  std::vector<bool> genesis_checked_;  // per core, since it last failed
  ChainIdentity identity_;             // what the store recorded

  mutable Mutex mu_;
  IndexerStatus status_ GUARDED_BY(mu_);

  std::atomic<bool> stopping_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::thread thread_;
};

}  // namespace lucid::chain_index
