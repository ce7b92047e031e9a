// How a long-running service waits for its end: SIGTERM and SIGINT are blocked in the thread that
// makes this object — and so in every thread it starts afterwards, which inherit the mask — so none of
// them is interrupted by the signal; SIGPIPE is ignored (a peer closing a connection is an error
// return, not the process's death); wait() returns the signal once one arrives, for main to stop the
// service in order.
#pragma once

#include <signal.h>

namespace lucid {

class ShutdownSignals {
 public:
  // Make it first in the serving path, before any thread starts.
  ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Blocks until SIGTERM or SIGINT; returns which.
  int wait() const;

 private:
  sigset_t set_{};
};

}  // namespace lucid
