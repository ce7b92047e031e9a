#include "lucid/accept/after_promotion.h"

#include <fmt/format.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "lucid/accept/report.h"
#include "lucid/accept/runner.h"
#include "lucid/engine/docker_client.h"

namespace lucid::accept {
namespace {

// The results on disk: their commit ("" when there are none or they cannot be read) and whether no
// check failed.
struct OnDisk {
  std::string commit;
  bool ok = false;
};

OnDisk results_on_disk(const std::filesystem::path& state_dir, const std::string& cluster) {
  std::ifstream in(report_path(state_dir, cluster));
  if (!in) {
    return {};
  }
  auto report = nlohmann::json::parse(in, nullptr, false);
  if (!report.is_object() || !report.contains("commit") || !report["commit"].is_string() ||
      !report.contains("checks") || !report["checks"].is_array()) {
    return {};
  }
  OnDisk out{report["commit"].get<std::string>(), true};
  for (const auto& check : report["checks"]) {
    if (check.is_object() && check.value("result", std::string()) == "fail") {
      out.ok = false;
    }
  }
  return out;
}

}  // namespace

AcceptanceAfterPromotion::AcceptanceAfterPromotion(Options options) : options_(std::move(options)) {
  // A shutdown stops the run between two checks: SIGTERM never waits for a whole run.
  options_.probes.cancelled = [this] {
    MutexLock lock(mu_);
    return stop_;
  };
  thread_ = std::thread([this] { loop(); });
}

AcceptanceAfterPromotion::~AcceptanceAfterPromotion() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void AcceptanceAfterPromotion::after_pass(const std::string& last_good) {
  if (last_good.empty()) {
    return;
  }
  {
    MutexLock lock(mu_);
    if (wanted_ == last_good) {
      return;
    }
    wanted_ = last_good;
  }
  wake_.notify_all();
}

int AcceptanceAfterPromotion::runs() const {
  MutexLock lock(mu_);
  return runs_;
}

void AcceptanceAfterPromotion::loop() {
  MutexLock lock(mu_);
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    const bool new_commit = !wanted_.empty() && wanted_ != covered_;
    const bool retry_due = !new_commit && retry_at_ && now >= *retry_at_;
    if (!new_commit && !retry_due) {
      if (retry_at_) {
        lock.wait_until(wake_, *retry_at_);
      } else {
        lock.wait_for(wake_, std::chrono::hours(1));
      }
      continue;
    }
    const std::string commit = wanted_;
    if (new_commit) {
      // Results already written for this commit (by an earlier run before a restart, or by an
      // operator's `lucidctl accept`) count; failing ones are retried like our own.
      OnDisk disk = results_on_disk(options_.site.state_dir, options_.site.cluster);
      if (disk.commit == commit) {
        covered_ = commit;
        retry_at_ = disk.ok ? std::nullopt : std::optional(now + options_.retry);
        continue;
      }
    }
    lock.unlock();
    const bool passed = run_once();
    lock.lock();
    if (stop_) break;  // stopped mid-run: nothing was written, nothing to count
    ++runs_;
    covered_ = commit;
    retry_at_ = passed ? std::nullopt : std::optional(std::chrono::steady_clock::now() + options_.retry);
  }
}

bool AcceptanceAfterPromotion::run_once() {
  auto log = [this](const std::string& line) {
    if (options_.log) {
      options_.log(line);
    }
  };
  auto site = load_site(options_.site);
  if (!site) {
    log(fmt::format("acceptance: {}", site.error().message));
    return false;
  }
  engine::DockerClient docker;
  auto report = run_acceptance(*site, docker, options_.probes);
  if (!report) {
    log(fmt::format("acceptance of {}: {}", site->commit.substr(0, 12), report.error().message));
    return false;
  }
  if (auto written = write_report(options_.site.state_dir, *report); !written) {
    log(fmt::format("acceptance of {}: results not written: {}", site->commit.substr(0, 12),
                    written.error().message));
    return false;
  }
  log(fmt::format("acceptance of {}: {} pass, {} fail, {} not implemented{}", site->commit.substr(0, 12),
                  report->count(Outcome::kPass), report->count(Outcome::kFail),
                  report->count(Outcome::kNotImplemented),
                  report->ok() ? "" : fmt::format(" (again in {} s)", options_.retry.count())));
  return report->ok();
}

}  // namespace lucid::accept
