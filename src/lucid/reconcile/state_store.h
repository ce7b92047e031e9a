// The reconciler's state store: one SQLite file (WAL, every change in one transaction) holding per
// cluster the desired, applied and last-good commits, the plans applied, the history of attempts and
// the commits marked bad. A process killed at any point leaves the last committed state.
//
// Secrets: the plans stored here are rendered with references left unresolved (enc:sops:… text), so
// no secret value is ever written to disk. A rollback therefore re-renders the last-good commit from
// the local mirror with the site's resolver (the commit pins the encrypted secrets file, so the
// result is the same plan); the stored YAML is for status, audit and diffing. The per-service config
// hashes stored are those of the plan actually applied (what the containers' labels carry).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/reconcile/outcome.h"

struct sqlite3;

namespace lucid::reconcile {

struct ClusterRecord {
  std::string cluster;
  std::string desired;       // newest commit fetched from the tracked ref ("" before the first fetch)
  std::string applied;       // commit whose plan was last applied (also by a rollback)
  std::string last_good;     // newest commit that applied and became healthy
  std::string applied_plan;  // YAML, secret references unresolved
  std::map<std::string, std::string> applied_hashes;  // service → config hash on the containers
  std::string last_good_plan;                         // YAML, secret references unresolved
  std::string updated;                                // RFC 3339
  std::string tracked_ref;                            // the ref the newest fetch followed
};

struct Attempt {
  std::int64_t id = 0;
  std::string cluster, commit;
  AttemptKind kind = AttemptKind::kDeploy;
  std::string started;                 // RFC 3339
  std::string finished;                // "" while running (or when the process died)
  std::optional<PassOutcome> outcome;  // none while unfinished
  std::vector<std::string> reasons;
};

class StateStore {
 public:
  // Opens (creating if needed) the database at `file` with WAL and a busy timeout.
  static Result<StateStore> open(const std::filesystem::path& file);
  StateStore(StateStore&&) noexcept;
  StateStore& operator=(StateStore&&) noexcept;
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;
  ~StateStore();

  // Runs `body` inside BEGIN IMMEDIATE … COMMIT; rolls back when it fails. Not reentrant.
  Status transaction(const std::function<Status()>& body);

  // Every cluster with a record, by id.
  Result<std::vector<std::string>> cluster_ids() const;
  // The cluster's record; an empty record (cluster set) when it has none yet.
  Result<ClusterRecord> cluster(const std::string& cluster) const;
  Status set_desired(const std::string& cluster, const std::string& commit, const std::string& ref = {});
  Status set_applied(const std::string& cluster, const std::string& commit, const std::string& plan_yaml,
                     const std::map<std::string, std::string>& hashes);
  // last_good = commit, with its plan (normally the applied one).
  Status set_last_good(const std::string& cluster, const std::string& commit, const std::string& plan_yaml);

  Result<std::int64_t> begin_attempt(const std::string& cluster, const std::string& commit, AttemptKind kind);
  Status finish_attempt(std::int64_t id, PassOutcome outcome, const std::vector<std::string>& reasons);
  // Newest first; only those of `kind` when given.
  // When `commit` was last promoted on the cluster (RFC 3339, the attempt's end); "" when never.
  Result<std::string> promoted_at(const std::string& cluster, const std::string& commit) const;
  Result<std::vector<Attempt>> attempts(const std::string& cluster, int limit = 20,
                                        std::optional<AttemptKind> kind = std::nullopt) const;

  Status mark_bad(const std::string& cluster, const std::string& commit, const std::string& reason);
  Status clear_bad(const std::string& cluster, const std::string& commit);
  Result<bool> is_bad(const std::string& cluster, const std::string& commit) const;
  Result<std::vector<std::string>> bad_commits(const std::string& cluster) const;

 private:
  explicit StateStore(sqlite3* db) : db_(db) {}
  Status exec(const char* sql) const;
  sqlite3* db_ = nullptr;
};

}  // namespace lucid::reconcile
