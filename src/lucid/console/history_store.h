// The console's history of site reports: one SQLite file (WAL) of observations — when each site was
// polled, whether it answered, and its status object — kept for a bounded time, so that gates can be
// judged over a wave's soak time and the page can show what changed. Polls that find a site as it was
// extend one row (first_seen … polled_at), so the store grows with changes, not with polls. Secrets
// never reach it: a site's status carries commits, health and reasons, not plans. Beside the history,
// the console's memory of its own automatic pauses (automatic_pauses).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/rollout/observation.h"

struct sqlite3;

namespace lucid::console {

class HistoryStore {
 public:
  // Opens (creating) the store at `file`. Observations older than `keep` are dropped as new ones
  // arrive.
  static Result<HistoryStore> open(const std::filesystem::path& file,
                                   std::chrono::seconds keep = std::chrono::hours(24));
  HistoryStore(HistoryStore&&) noexcept;
  HistoryStore& operator=(HistoryStore&&) noexcept;
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;
  ~HistoryStore();

  Status add(const rollout::Observation& o);
  // The cluster's observations seen at or after `since` (Unix seconds), oldest first.
  Result<std::vector<rollout::Observation>> history(const std::string& cluster, std::int64_t since = 0) const;
  // The newest observation of the cluster (cluster empty when there is none).
  Result<rollout::Observation> latest(const std::string& cluster) const;

  // The console's own memory of the waves it paused after a failed gate ("wave@commit"), kept so
  // that a restarted console does not pause again a wave an operator has resumed.
  Result<std::set<std::string>> automatic_pauses() const;
  Status record_automatic_pause(const std::string& key, std::int64_t at);

 private:
  explicit HistoryStore(sqlite3* db, std::chrono::seconds keep) : db_(db), keep_(keep) {}
  sqlite3* db_ = nullptr;
  std::chrono::seconds keep_;
  mutable std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
};

}  // namespace lucid::console
