#include "console_fixture.h"

#include <chrono>
#include <ctime>
#include <fstream>

#include "lucid/base/time.h"

namespace lucid::testing {

namespace tt = gitsig::testing_tools;

SimulatedSite::SimulatedSite(std::string cluster) : cluster_(std::move(cluster)) {
  status_ = {{"cluster", cluster_}};
  auto s = http::Server::start({"127.0.0.1:0"}, [this](const http::Request& req) {
    if (req.target != "/status") return http::Response{404, "text/plain", "not found\n"};
    std::lock_guard lock(mu_);
    if (down_) return http::Response{503, "text/plain", "simulated outage\n"};
    return http::Response{200, "application/json", status_.dump()};
  });
  if (s) server_ = std::move(*s);
}

std::string SimulatedSite::status_url() const {
  return server_ ? "http://127.0.0.1:" + std::to_string(server_->port(0)) + "/status" : "";
}

void SimulatedSite::run(const std::string& commit, int healthy, int services,
                        std::int64_t since_seconds_ago) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  nlohmann::json svc = nlohmann::json::array();
  for (int i = 0; i < services; ++i)
    svc.push_back({{"service", "svc" + std::to_string(i)},
                   {"container", "c0ffee" + std::to_string(i)},
                   {"state", "running"},
                   {"health", i < healthy ? "healthy" : "unhealthy"},
                   {"config_current", true}});
  const std::string since = rfc3339(static_cast<std::time_t>(now - since_seconds_ago));
  set({{"cluster", cluster_},
       {"desired", commit},
       {"applied", commit},
       {"last_good", commit},
       {"last_good_since", since},
       {"bad_commits", nlohmann::json::array()},
       {"services", svc},
       {"attempts",
        {{{"commit", commit},
          {"kind", "deploy"},
          {"started", since},
          {"finished", since},
          {"outcome", "promoted"},
          {"reasons", nlohmann::json::array()}}}},
       {"drift_corrections", nlohmann::json::array()}});
}

void SimulatedSite::set(nlohmann::json status) {
  std::lock_guard lock(mu_);
  status_ = std::move(status);
  down_ = false;
}

void SimulatedSite::down(bool is_down) {
  std::lock_guard lock(mu_);
  down_ = is_down;
}

nlohmann::json SimulatedSite::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

FleetRepo::FleetRepo(const std::filesystem::path& dir, const std::vector<Cluster>& clusters)
    : key(tt::make_key(dir, "signer", "ed25519")), remote(dir / "remote.git"), work(dir / "work") {
  tt::git(dir, {"init", "-q", "--bare", "-b", "main", remote.string()});
  tt::init_repo(work);
  std::string yaml =
      "waves:\n"
      "  - name: canary\n    ref: wave/canary\n    gates: [healthchecks]\n    soak: 1s\n    stale_after: "
      "30s\n"
      "  - name: core\n    ref: wave/core\n    gates: [healthchecks]\n    soak: 1s\n    stale_after: 30s\n"
      "clusters:\n";
  for (const auto& c : clusters)
    yaml += "  - id: " + c.id + "\n    wave: " + c.wave +
            "\n    profiles: [node]\n    status: " + c.status_url + "\n";
  const std::string signers = "ops@lucid namespaces=\"git\" " + key.public_text + "\n";
  first = tt::commit(work, "Fleet of three sites", &key,
                     {{"clusters/clusters.yaml", yaml},
                      {"policies/allowed_signers", signers},
                      {"compose/app.yaml", "services:\n  web:\n    image: web:1\n"}});
  tt::git(work, {"push", "-q", remote.string(), "HEAD:refs/heads/main", "HEAD:refs/heads/wave/canary",
                 "HEAD:refs/heads/wave/core"});
  second = tt::commit(work, "web 2", &key, {{"compose/app.yaml", "services:\n  web:\n    image: web:2\n"}});
  tt::git(work, {"push", "-q", remote.string(), "HEAD:refs/heads/main", "HEAD:refs/heads/wave/canary"});
  // Git's signing configuration for what the console commits (rollback) in this work tree's user.
  tt::git(work, {"config", "gpg.format", "ssh"});
  tt::git(work, {"config", "user.signingkey", key.private_key.string()});
}

std::string FleetRepo::remote_ref(const std::string& ref) const {
  auto r = tt::git_try(remote, {"rev-parse", "--verify", "--quiet", ref});
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace lucid::testing
