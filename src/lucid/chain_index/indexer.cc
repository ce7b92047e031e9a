#include "lucid/chain_index/indexer.h"

#include <algorithm>

#include <fmt/format.h>

namespace lucid::chain_index {

Result<std::unique_ptr<Indexer>> Indexer::start(SessionStore& store, IndexerOptions options) {
  if (options.cores.empty())
    return fail(ErrorKind::kInvalidArgument,
                "no blockchain-core URL: give CHAIN_CORE (comma-separated base URLs)");
  if (options.batch_blocks == 0 || options.batch_blocks > chain::kMaxEventBlockRange)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("batch_blocks must be 1..{} (core's events bound)", chain::kMaxEventBlockRange));
  std::unique_ptr<Indexer> indexer(new Indexer(store, std::move(options)));
  auto identity = store.identity();
  if (!identity) return std::unexpected(identity.error());
  indexer->identity_ = *identity;
  if (auto totals = indexer->record_totals(); !totals) return std::unexpected(totals.error());
  indexer->thread_ = std::thread([raw = indexer.get()] { raw->run(); });
  return indexer;
}

Indexer::Indexer(SessionStore& store, IndexerOptions options) : store_(store), options_(std::move(options)) {
  for (const std::string& url : options_.cores) cores_.emplace_back(url, options_.request_timeout);
  genesis_checked_.assign(cores_.size(), false);
  MutexLock lock(mu_);
  status_.core = cores_.front().base_url();
}

Indexer::~Indexer() {
  stop();
}

void Indexer::stop() {
  {
    std::lock_guard lock(sleep_mu_);
    stopping_ = true;
  }
  sleep_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

IndexerStatus Indexer::status() const {
  MutexLock lock(mu_);
  return status_;
}

void Indexer::run() {
  while (!stopping_) {
    Status outcome = poll();
    note_poll(outcome);
    // Behind after a full poll's batches: go on at once; otherwise wait for the chain to grow.
    const IndexerStatus now = status();
    if (outcome && now.lag_blocks() > 0) continue;
    std::unique_lock lock(sleep_mu_);
    sleep_cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_.load(); });
  }
}

void Indexer::note_poll(const Status& outcome) {
  MutexLock lock(mu_);
  ++status_.polls;
  if (outcome) {
    if (!status_.last_error.empty())
      fmt::print(stderr, "lucid-blockchain-sessions-data: polling {} again: indexed to height {}\n",
                 status_.core, status_.indexed_height);
    status_.last_success = std::chrono::steady_clock::now();
    status_.last_error.clear();
    return;
  }
  ++status_.poll_errors;
  // Logged when it changes, not once per poll interval.
  if (outcome.error().message != status_.last_error)
    fmt::print(stderr, "lucid-blockchain-sessions-data: poll failed: {}\n", outcome.error().message);
  status_.last_error = outcome.error().message;
}

Status Indexer::poll() {
  std::vector<std::string> errors;
  for (std::size_t attempt = 0; attempt < cores_.size() && !stopping_; ++attempt) {
    const std::size_t index = (current_core_ + attempt) % cores_.size();
    {
      MutexLock lock(mu_);
      status_.core = cores_[index].base_url();
    }
    Status outcome = poll_core(index);
    if (outcome) {
      current_core_ = index;
      return {};
    }
    genesis_checked_[index] = false;  // it may come back as something else
    errors.push_back(outcome.error().message);
  }
  if (errors.empty()) return {};  // stopping
  return fail(ErrorKind::kIo, fmt::format("{}", fmt::join(errors, "; ")));
}

Status Indexer::check_chain(std::size_t index, const CoreStatus& status) {
  const CoreClient& core = cores_[index];
  auto in_core = [&](const Error& e) {
    return std::unexpected(with_context(fmt::format("blockchain-core {}", core.base_url()), e));
  };
  if (status.chain_id != identity_.chain_id) {
    if (auto bound = store_.bind_chain(status.chain_id, ""); !bound) return in_core(bound.error());
    identity_.chain_id = status.chain_id;
  }
  // Block 1 names the genesis: checked once per core (and again after it failed), when it exists.
  if (genesis_checked_[index] || status.final_height == 0) return {};
  auto genesis = core.genesis_hash(status.chain_id);
  if (!genesis) return std::unexpected(genesis.error());
  if (*genesis != identity_.genesis_hash) {
    if (auto bound = store_.bind_chain(status.chain_id, *genesis); !bound) return in_core(bound.error());
    identity_.genesis_hash = *genesis;
  }
  genesis_checked_[index] = true;
  return {};
}

Status Indexer::poll_core(std::size_t index) {
  const CoreClient& core = cores_[index];
  auto core_status = core.status();
  if (!core_status) return std::unexpected(core_status.error());
  if (auto same_chain = check_chain(index, *core_status); !same_chain) return same_chain;
  std::uint64_t indexed = 0;
  {
    MutexLock lock(mu_);
    status_.chain_id = identity_.chain_id;
    status_.chain_final_height = core_status->final_height;
    indexed = status_.indexed_height;
  }
  for (std::size_t batches = 0; batches < options_.batches_per_poll && !stopping_; ++batches) {
    if (indexed >= core_status->final_height) break;
    const std::uint64_t from = indexed + 1;
    const std::uint64_t to = std::min(core_status->final_height, indexed + options_.batch_blocks);
    auto batch = read_batch(core, from, to);
    if (!batch) return std::unexpected(batch.error());
    if (auto stored = store_.apply(*batch); !stored)
      return std::unexpected(with_context(
          fmt::format("heights {}..{} not stored", from, batch->through_height), stored.error()));
    if (auto totals = record_totals(); !totals) return totals;
    indexed = batch->through_height;
  }
  return {};
}

Result<IndexBatch> Indexer::read_batch(const CoreClient& core, std::uint64_t from, std::uint64_t to) const {
  auto page = core.anchor_events(from, to);
  if (!page) return std::unexpected(page.error());
  IndexBatch batch{from, to, std::move(page->events)};
  if (!page->truncated) return batch;
  // Core stopped at its event bound somewhere in the last height it returned: keep only the heights
  // before it, whole, and read that height again in the next batch.
  const std::uint64_t cut = event_height(batch.events.back());
  if (cut > from) {
    std::erase_if(batch.events, [cut](const AnchorEvent& event) { return event_height(event) >= cut; });
    batch.through_height = cut - 1;
    return batch;
  }
  // Every event returned is at `from`: ask for that one height alone (a block holds at most 1,000
  // transactions, each emitting one AnchorRegistry event, so one height always fits).
  auto single = core.anchor_events(from, from);
  if (!single) return std::unexpected(single.error());
  if (single->truncated)
    return fail(ErrorKind::kCorrupt,
                fmt::format("blockchain-core {}: height {} holds more AnchorRegistry events than one answer "
                            "carries: it cannot be indexed whole",
                            core.base_url(), from));
  return IndexBatch{from, from, std::move(single->events)};
}

Status Indexer::record_totals() {
  auto totals = store_.totals();
  if (!totals) return std::unexpected(totals.error());
  MutexLock lock(mu_);
  status_.chain_id = identity_.chain_id;
  status_.indexed_height = totals->indexed_height;
  status_.sessions = totals->sessions;
  status_.chunk_anchors = totals->chunk_anchors;
  return {};
}

}  // namespace lucid::chain_index
