#include "lucid/base/process_hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>

#include "lucid/base/files.h"

namespace lucid {

Status harden_process() {
  rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0)
    return fail(ErrorKind::kIo, "cannot disable core dumps (setrlimit RLIMIT_CORE): " + errno_text(errno));
  // Not dumpable: no core even where core_pattern pipes to a handler (which ignores RLIMIT_CORE),
  // and only root may ptrace us or read /proc/<pid>/{mem,environ}.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return fail(ErrorKind::kIo, "cannot mark the process not dumpable (prctl): " + errno_text(errno));
  return {};
}

}  // namespace lucid
