// Runs Debian's tor as a child with betad's torrc and restarts it when it exits, with back-off
// (0.5 s doubling to 10 s, reset after a minute up). Callbacks report "up (control port)" and "down".
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <thread>

#include "lucid/base/result.h"
#include "lucid/base/thread_annotations.h"
#include "lucid/beta/torrc.h"

namespace lucid::beta {

class TorSupervisor {
 public:
  struct Callbacks {
    std::function<void(std::uint16_t control_port)> on_up;
    std::function<void()> on_down;
  };
  TorSupervisor(TorConfig config, Callbacks callbacks)
      : config_(std::move(config)), callbacks_(std::move(callbacks)) {}
  ~TorSupervisor() { stop(); }
  TorSupervisor(const TorSupervisor&) = delete;
  TorSupervisor& operator=(const TorSupervisor&) = delete;

  // Prepares the state directory (0700), writes the torrc and starts the supervision thread.
  Status start();
  // Terminates tor and stops supervising.
  void stop();
  // Kills the current tor (e.g. when its control port stopped answering); it is then restarted.
  void kill_tor();

  int restarts() const { return restarts_.load(); }
  pid_t pid() const { return pid_.load(); }

 private:
  void loop();
  bool sleep_for(std::chrono::milliseconds d);  // false when stopping

  TorConfig config_;
  Callbacks callbacks_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> restarts_{0};
  std::atomic<pid_t> pid_{0};
  // Guards no data (stopping_, restarts_ and pid_ are atomics): it pairs with cv_ so that a stop()
  // cannot slip between a sleeper's check of stopping_ and its wait.
  Mutex mu_;
  std::condition_variable cv_;
};

}  // namespace lucid::beta
