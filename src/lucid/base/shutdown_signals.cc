#include "lucid/base/shutdown_signals.h"

#include <pthread.h>

namespace lucid {

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  (void)signal(SIGPIPE, SIG_IGN);
}

int ShutdownSignals::wait() const {
  int sig = 0;
  sigwait(&set_, &sig);
  return sig;
}

}  // namespace lucid
