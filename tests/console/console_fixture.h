// What the console's tests share: a signed config repo with two waves (a bare remote on disk, commits
// signed with a fresh SSH key by the real git and ssh-keygen) and simulated sites — small loopback
// HTTP servers that serve a reconciler's /status JSON the test sets. The sites are simulated: they run
// no engine or reconciler; everything else (git, the console, its HTTP) is real.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gitsig/ssh_tools.h"
#include "lucid/base/http_server.h"

namespace lucid::testing {

// A simulated site: serves GET /status with what `set` last gave.
class SimulatedSite {
 public:
  explicit SimulatedSite(std::string cluster);
  const std::string& cluster() const { return cluster_; }
  std::string status_url() const;
  // The site runs `commit` (desired = applied = last good since `since_seconds_ago`) with `healthy` of
  // `services` services healthy.
  void run(const std::string& commit, int healthy, int services = 2, std::int64_t since_seconds_ago = 120);
  void set(nlohmann::json status);
  // A site that is down answers 503 (the console records the failure and backs off).
  void down(bool is_down);
  nlohmann::json status() const;

 private:
  std::string cluster_;
  mutable std::mutex mu_;
  nlohmann::json status_;
  bool down_ = true;  // until run() or set(): a site that has not come up yet
  std::unique_ptr<http::Server> server_;
};

// The config repo: waves canary (ref wave/canary) then core (ref wave/core), soak 1s, gate
// healthchecks; clusters from `clusters` (id, wave, status URL). Commit 1 is on both refs; commit 2
// (a changed compose file) on main and wave/canary only.
struct FleetRepo {
  struct Cluster {
    std::string id, wave, status_url;
  };
  FleetRepo(const std::filesystem::path& dir, const std::vector<Cluster>& clusters);
  gitsig::testing_tools::TestKey key;
  std::filesystem::path remote, work;
  std::string first, second;  // commit ids

  std::string url() const { return "file://" + remote.string(); }
  // The commit `ref` points at in the remote ("" when none).
  std::string remote_ref(const std::string& ref) const;
};

}  // namespace lucid::testing
