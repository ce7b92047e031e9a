// Keeping a key-holding process's memory out of reach of other processes of the same user and off
// disk: no core file on a crash, not dumpable (no ptrace attach, /proc/<pid>/mem, environ by peers).
#pragma once

#include "lucid/base/result.h"

namespace lucid {

// Sets RLIMIT_CORE to 0 (soft and hard, so no child of ours can raise it back) and
// PR_SET_DUMPABLE to 0. Call first thing in main of every binary that may hold keys. The kernel
// resets "dumpable" when a child execs, so programs we start are unaffected apart from the limit.
Status harden_process();

}  // namespace lucid
