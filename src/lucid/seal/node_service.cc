#include "lucid/seal/node_service.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/time.h"
#include "lucid/seal/heartbeat.h"
#include "lucid/seal/inbox_watch.h"
#include "lucid/version.h"

namespace lucid::seal {
namespace {
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// What the heartbeat thread writes, updated by the sealing loop; events are serialised here too.
class WorkerState {
 public:
  WorkerState(const ServiceOptions& o, const EventSink& emit) : options_(o), emit_(emit) {
    beat_.pid = ::getpid();
    beat_.started_at = utc_now_rfc3339();
    beat_.interval = o.heartbeat;
  }

  void emit(json event) {
    event["time"] = utc_now_rfc3339();
    std::lock_guard lock(emit_mu_);
    emit_(event);
  }
  void sealing(const std::string& name) {
    std::lock_guard lock(mu_);
    beat_.sealing = name;
  }
  void done(bool ok) {
    std::lock_guard lock(mu_);
    beat_.sealing.clear();
    ++(ok ? beat_.sealed : beat_.failed);
  }
  Heartbeat snapshot() {
    std::lock_guard lock(mu_);
    return beat_;
  }
  Status write(const std::string& state = "running") {
    Heartbeat h = snapshot();
    h.state = state;
    return write_heartbeat(options_.spool.health(), h);
  }

  // Rewrites the heartbeat every interval until stopped; a failure is reported once per outage.
  void run_heartbeat(std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    bool failing = false;
    for (;;) {
      {
        std::unique_lock lock(m);
        if (cv.wait_for(lock, stop, options_.heartbeat, [] { return false; }) || stop.stop_requested())
          return;
      }
      auto s = write();
      if (!s && !failing) emit({{"event", "heartbeat-failed"}, {"error", s.error().message}});
      failing = !s;
    }
  }

 private:
  const ServiceOptions& options_;
  const EventSink& emit_;
  std::mutex mu_;
  std::mutex emit_mu_;
  Heartbeat beat_;
};

// Recordings waiting, in arrival order, each once.
class Pending {
 public:
  void add(const std::string& name) {
    if (is_recording_name(name) && queued_.insert(name).second) order_.push_back(name);
  }
  bool empty() const { return order_.empty(); }
  std::string take() {
    std::string name = std::move(order_.front());
    order_.pop_front();
    queued_.erase(name);
    return name;
  }

 private:
  std::deque<std::string> order_;
  std::set<std::string> queued_;
};

void seal_one(const ServiceOptions& o, const crypto::Ed25519KeyPair& node, const std::string& name,
              WorkerState& status) {
  status.sealing(name);
  auto start = Clock::now();
  auto sealed = seal_inbox_entry(o.spool, name, node, o.seal);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (sealed) {
    status.done(true);
    const auto& m = sealed->summary.manifest;
    json event = {{"event", "sealed"},
                  {"name", name},
                  {"session_id", m.session_id},
                  {"chunks", m.chunk_count},
                  {"bytes", m.total_bytes},
                  {"sealed_bytes", sealed->summary.sealed_bytes},
                  {"root", to_hex(m.merkle_root)},
                  {"manifest_hash", to_hex(sealed->summary.manifest_hash)},
                  {"ms", ms}};
    if (!sealed->input_kept.empty()) event["input_kept"] = sealed->input_kept;
    status.emit(std::move(event));
    return;
  }
  if (sealed.error().kind == ErrorKind::kNotFound) {  // taken away meanwhile, or sealed already
    status.sealing("");
    return;
  }
  status.done(false);
  std::string error = sealed.error().message;
  auto moved = quarantine_inbox_entry(o.spool, name, error);
  json event = {{"event", "failed"}, {"name", name}, {"error", error}};
  if (moved)
    event["moved_to"] = moved->string();
  else
    event["error"] = fmt::format("{}; and it stays in inbox/: {}", error, moved.error().message);
  status.emit(std::move(event));
}

}  // namespace

Status run_service(const ServiceOptions& o, int stop_fd, const EventSink& emit) {
  if (auto s = validate_seal_options(o.seal); !s) return s;
  auto lock = SpoolLock::acquire(o.spool);
  if (!lock) return std::unexpected(lock.error());
  if (auto s = prepare_spool(o.spool); !s) return s;
  bool created = false;
  auto node = load_or_create_node_key(o.spool, created);
  if (!node) return std::unexpected(node.error());
  // Watch before listing, so a recording arriving in between is seen by one or the other.
  auto watch = InboxWatch::open(o.spool.inbox());
  if (!watch) return std::unexpected(watch.error());

  WorkerState status(o, emit);
  if (auto s = status.write(); !s) return s;
  status.emit({{"event", "started"},
               {"pid", ::getpid()},
               {"version", kLucidVersion},
               {"spool", o.spool.root.string()},
               {"node_public_key", to_hex(node->public_key())},
               {"node_key_created", created},
               {"heartbeat_ms", o.heartbeat.count()}});
  std::jthread heartbeat([&status](std::stop_token stop) { status.run_heartbeat(stop); });

  Pending pending;
  auto rescan = [&]() -> Status {
    auto names = list_inbox(o.spool);
    if (!names) return std::unexpected(names.error());
    for (const auto& n : *names) pending.add(n);
    return {};
  };
  Status result = rescan();
  while (result) {
    // Between recordings: stop first, then new arrivals, then the next recording.
    pollfd fds[2] = {{stop_fd, POLLIN, 0}, {watch->fd(), POLLIN, 0}};
    int ready = ::poll(fds, 2, pending.empty() ? -1 : 0);
    if (ready < 0 && errno != EINTR) {
      result = fail(ErrorKind::kIo, fmt::format("poll: {}", errno_text(errno)));
      break;
    }
    if (ready > 0 && fds[0].revents != 0) break;
    if (ready > 0 && fds[1].revents != 0) {
      auto events = watch->read();
      if (!events) {
        result = std::unexpected(events.error());
        break;
      }
      for (const auto& name : events->names) pending.add(name);
      if (events->overflow) result = rescan();
      continue;
    }
    if (!pending.empty()) seal_one(o, *node, pending.take(), status);
  }
  heartbeat.request_stop();
  heartbeat.join();
  auto snap = status.snapshot();
  if (auto s = status.write("stopped"); !s && result) result = s;
  status.emit({{"event", "stopped"}, {"sealed", snap.sealed}, {"failed", snap.failed}});
  return result;
}

}  // namespace lucid::seal
