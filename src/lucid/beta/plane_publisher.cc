#include "lucid/beta/plane_publisher.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "lucid/beta/labels.h"
#include "lucid/beta/log.h"

namespace lucid::beta {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kControlTimeout = 2s;  // every control call (connect, GETINFO, ADD_ONION, DEL_ONION)
constexpr auto kSilentLimit = 10s;    // a control port silent this long gets tor killed and restarted

std::vector<PortMapping> mapping_of(const std::vector<OnionPort>& ports) {
  std::vector<PortMapping> mapping;
  for (const auto& port : ports) mapping.push_back({port.virtual_port, port.target});
  // A plane with no exposed service still publishes its identity: virtual port 9 (discard) to a
  // loopback port nothing listens on.
  if (mapping.empty()) mapping.push_back({9, "127.0.0.1:9"});
  return mapping;
}

}  // namespace

PlanePublisher::PlanePublisher(std::map<std::string, OnionIdentity> identities, Options options)
    : identities_(std::move(identities)),
      options_(std::move(options)),
      tor_(std::make_unique<TorSupervisor>(
          options_.tor, TorSupervisor::Callbacks{[this](std::uint16_t port) { on_tor_up(port); },
                                                 [this] { on_tor_down(); }})) {
  MutexLock lock(mu_);
  for (const auto& [name, identity] : identities_) {
    Plane p;
    p.state.address = identity.address();
    p.state.public_key = identity.public_key();
    p.state.client_auth_key = crypto::client_auth_key_text(identity.client_auth_public_key());
    planes_.emplace(name, std::move(p));
  }
}

PlanePublisher::~PlanePublisher() {
  stop();
}

Status PlanePublisher::start() {
  if (auto s = tor_->start(); !s) return s;
  monitor_ = std::thread([this] { run(); });
  return {};
}

void PlanePublisher::stop() {
  if (stopping_.exchange(true)) return;
  {
    MutexLock lock(mu_);
    cv_.notify_all();
  }
  if (monitor_.joinable()) monitor_.join();
  // The monitor thread has ended: the control connection is this thread's now.
  withdraw_all("betad stopping");
  tor_->stop();
}

// ---- what tor's supervisor reports (its thread) ----------------------------------------------------

void PlanePublisher::on_tor_up(std::uint16_t control_port) {
  MutexLock lock(mu_);
  control_port_ = control_port;
  generation_++;
  cv_.notify_all();
}

void PlanePublisher::on_tor_down() {
  bool any = false;
  {
    MutexLock lock(mu_);
    control_port_ = 0;
    generation_++;
    any = withdraw_state_locked().second;
    cv_.notify_all();
  }
  // The monitor thread drops the dead connection when it sees the new generation.
  if (any) log_line("tor", "fail-closed: onions withdrawn (tor exited)");
}

// ---- the monitor thread -----------------------------------------------------------------------------

void PlanePublisher::run() {
  auto last_ok = Clock::now();
  auto next_probe = Clock::now() + options_.probe_interval;
  std::uint64_t seen_generation = 0;
  while (true) {
    std::uint16_t port = 0;
    std::uint64_t generation = 0;
    {
      MutexLock lock(mu_);
      while (!stopping_ && Clock::now() < next_probe && generation_ == seen_generation &&
             !(control_ && any_dirty_locked()))
        lock.wait_until(cv_, next_probe);
      if (stopping_) return;
      port = control_port_;
      generation = generation_;
    }
    // Tor came up or went down since the last round: a connection we hold talks to a dead tor.
    if (generation != seen_generation) {
      control_.reset();
      seen_generation = generation;
    }
    const auto now = Clock::now();
    const bool probe_due = now >= next_probe;
    if (probe_due) next_probe = now + options_.probe_interval;
    if (port == 0) {
      last_ok = now;
      continue;
    }
    if (!control_) {
      connect_control(port, generation);
      if (control_) last_ok = Clock::now();
    } else if (probe_due) {
      // The liveness probe: tor answers GETINFO at once unless it is wedged.
      if (auto v = control_->getinfo("version"); v) {
        last_ok = Clock::now();
      } else {
        log_line("tor", "control port stopped answering: " + v.error().message);
        withdraw_all("control port does not answer");
      }
    }
    if (control_) publish_dirty(generation);
    if (Clock::now() - last_ok > kSilentLimit && tor_->pid() > 0) {
      log_line("tor", "control port silent for 10 s: killing tor so that it restarts");
      tor_->kill_tor();
      last_ok = Clock::now();
    }
  }
}

void PlanePublisher::connect_control(std::uint16_t port, std::uint64_t generation) {
  auto c = TorControl::connect(port, kControlTimeout);
  Status auth = c ? c->authenticate_cookie(options_.tor.cookie_file()) : Status(std::unexpected(c.error()));
  if (!auth) {
    log_line("tor", "control port not ready: " + auth.error().message);
    return;
  }
  {
    MutexLock lock(mu_);
    if (generation_ != generation) return;  // tor went down while we connected
    tor_up_ = true;
    for (auto& [name, p] : planes_) p.dirty = true;  // (re)publish every plane
  }
  control_ = std::move(*c);
  auto version = control_->getinfo("version");
  log_line("tor", "control connection up (tor " + (version ? *version : std::string("?")) + ")");
  // Client keys live in tor's memory only: given again to every tor that comes up.
  for (const auto& [label, plane] : options_.client_of)
    if (auto s = control_->onion_client_auth_add(label, identities_.at(plane)); !s)
      log_line("tor",
               fmt::format("client authorization for {}.onion ({}): {}", label, plane, s.error().message));
  if (!options_.client_of.empty())
    log_line("tor", fmt::format("client authorization given for {} onion(s) of other clusters",
                                options_.client_of.size()));
}

void PlanePublisher::publish_dirty(std::uint64_t generation) {
  std::vector<PublishJob> jobs;
  {
    MutexLock lock(mu_);
    if (generation_ != generation || !tor_up_) return;
    for (auto& [name, p] : planes_) {
      if (!p.dirty) continue;
      p.dirty = false;
      auto mapping = mapping_of(p.state.ports);
      if (p.state.published && mapping == p.mapping) {
        p.state.published_ports = p.state.ports;  // same targets (e.g. a container recreated on its IP)
        continue;
      }
      jobs.push_back(
          {name, &identities_.at(name), p.state.tor_service_id, std::move(mapping), p.state.ports});
      // About to be replaced: not published from here until ADD_ONION succeeds (fail-closed).
      p.state.tor_service_id.clear();
      p.state.published = false;
      p.state.published_ports.clear();
      p.mapping.clear();
    }
  }
  for (auto& job : jobs) {
    if (!control_) return;  // an earlier job's failure withdrew everything
    if (!job.old_service_id.empty())
      if (auto s = control_->del_onion(job.old_service_id); !s)
        log_line("tor", "DEL_ONION " + job.plane + ": " + s.error().message);
    const auto clients = options_.authorized_clients.find(job.plane);
    auto id = control_->add_onion(
        *job.identity, job.mapping, false,
        clients == options_.authorized_clients.end() ? std::vector<std::string>{} : clients->second);
    const std::string address = job.identity->address();
    if (!id) {
      {
        MutexLock lock(mu_);
        publish_failures_++;
      }
      log_line("tor", fmt::format("ADD_ONION for plane {} failed: {}", job.plane, id.error().message));
      if (id.error().kind == ErrorKind::kIo || id.error().kind == ErrorKind::kCorrupt) {
        withdraw_all("control port failed");
        return;
      }
      continue;
    }
    if (*id != address) {
      {
        MutexLock lock(mu_);
        publish_failures_++;
      }
      log_line("tor", fmt::format("plane {}: tor reports {} but the key derives {}; withdrawing", job.plane,
                                  *id, address));
      (void)control_->del_onion(*id);
      continue;
    }
    {
      MutexLock lock(mu_);
      // Tor went down meanwhile: its onions went with it, nothing to record.
      if (generation_ != generation || !tor_up_) return;
      Plane& p = planes_.at(job.plane);
      p.state.tor_service_id = *id;
      p.state.published = true;
      p.state.published_ports = job.ports;
      p.mapping = job.mapping;
    }
    log_line("tor", fmt::format("plane {}: published {}.onion with {} port(s)", job.plane, address,
                                job.ports.size()));
  }
}

void PlanePublisher::withdraw_all(const std::string& why) {
  std::vector<std::string> service_ids;
  bool any = false;
  {
    MutexLock lock(mu_);
    std::tie(service_ids, any) = withdraw_state_locked();
  }
  if (any) log_line("tor", "fail-closed: onions withdrawn (" + why + ")");
  if (!control_) return;
  for (const auto& id : service_ids) (void)control_->del_onion(id);
  control_.reset();
}

std::pair<std::vector<std::string>, bool> PlanePublisher::withdraw_state_locked() {
  bool any = tor_up_;
  tor_up_ = false;
  std::vector<std::string> service_ids;
  for (auto& [name, p] : planes_) {
    any = any || p.state.published;
    if (!p.state.tor_service_id.empty()) service_ids.push_back(p.state.tor_service_id);
    p.state.published = false;
    p.state.tor_service_id.clear();
    p.state.published_ports.clear();
    p.mapping.clear();
  }
  return {std::move(service_ids), any};
}

// ---- what the label watcher reports -----------------------------------------------------------------

bool PlanePublisher::any_dirty_locked() const {
  return std::any_of(planes_.begin(), planes_.end(), [](const auto& entry) { return entry.second.dirty; });
}

std::uint16_t PlanePublisher::virtual_port_locked(const std::string& plane, const std::string& service,
                                                  std::uint16_t port) {
  auto& table = vports_[plane];
  auto key = std::pair{service, port};
  if (auto it = table.find(key); it != table.end()) return it->second;
  std::set<std::uint16_t> used;
  for (const auto& [k, v] : table) used.insert(v);
  std::uint16_t v = preferred_virtual_port(plane, service, port);
  while (used.contains(v)) v = static_cast<std::uint16_t>(v + 1 >= 60000 ? 10000 : v + 1);
  table[key] = v;
  return v;
}

void PlanePublisher::set_targets(const std::string& plane, const std::vector<PlaneTarget>& targets) {
  MutexLock lock(mu_);
  auto it = planes_.find(plane);
  if (it == planes_.end()) return;
  std::vector<OnionPort> ports;
  for (const auto& t : targets)
    ports.push_back({t.service, t.container, t.container_port,
                     virtual_port_locked(plane, t.service, t.container_port), t.target});
  std::sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) {
    return std::tie(a.virtual_port, a.target) < std::tie(b.virtual_port, b.target);
  });
  it->second.state.ports = std::move(ports);
  it->second.dirty = true;
  cv_.notify_all();
}

// ---- readers ------------------------------------------------------------------------------------

PublisherSnapshot PlanePublisher::snapshot() const {
  PublisherSnapshot out;
  out.tor_pid = tor_->pid();
  out.tor_restarts = tor_->restarts();
  MutexLock lock(mu_);
  out.tor_up = tor_up_;
  out.publish_failures = publish_failures_;
  for (const auto& [name, p] : planes_) out.planes.emplace(name, p.state);
  return out;
}

std::optional<PlanePublisher::Lookup> PlanePublisher::lookup(const std::string& plane) const {
  MutexLock lock(mu_);
  auto it = planes_.find(plane);
  if (it == planes_.end()) return std::nullopt;
  return Lookup{tor_up_, it->second.state};
}

}  // namespace lucid::beta
