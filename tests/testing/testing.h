// Helpers shared by the test suites: where vectors and binaries live, scratch directories,
// running a program and capturing its output.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::testing {

// ../shared/vectors (or $LUCID_SHARED_VECTORS); nullopt when absent. Callers GTEST_SKIP with a reason.
std::optional<std::filesystem::path> shared_vectors_dir();
// tests/vectors in the source tree (vectors the project generates itself).
std::filesystem::path project_vectors_dir();
// The directory holding the built binaries (build/<preset>/bin).
std::filesystem::path bin_dir();

// A fresh directory under $TMPDIR removed with its contents at scope exit.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Sets (or, with nullopt, unsets) an environment variable until scope exit, then restores what was
// there. Children started meanwhile inherit it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv (no shell) with optional stdin from `stdin_file`; captures stdout and stderr.
RunResult run(const std::vector<std::string>& argv,
              const std::optional<std::filesystem::path>& stdin_file = {});

// Starts argv (no shell) in the background: stdin /dev/null, stdout to `out` and stderr to `err`
// ("" for /dev/null and inherited). Returns the pid (-1 when it could not start); the caller
// kills and reaps it.
int spawn(const std::vector<std::string>& argv, const std::filesystem::path& out,
          const std::filesystem::path& err = {});

// Starts a server a test drives (etcd, PostgreSQL): argv (no shell), stdin /dev/null, stdout and
// stderr appended to `log`, and SIGKILL when the calling thread ends (PR_SET_PDEATHSIG), so a test that
// crashes leaves no server behind. With `as`, the child takes that user and group first (a root test
// starting a server that refuses root). The caller kills and reaps it.
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
};
Result<pid_t> spawn_server(const std::vector<std::string>& argv, const std::filesystem::path& log,
                           const std::optional<RunAs>& as = std::nullopt);

// What waitpid's `status` says happened: "exited with status N", "was killed by signal N".
std::string describe_wait_status(int status);

// The last `bytes` of `file` (a server's log, for failure messages); "(no log)" when it cannot be read.
std::string file_tail(const std::filesystem::path& file, std::size_t bytes);

// The path of `program` on PATH (an executable file), or "" when it is not there.
std::string find_program(const std::string& program);
// True when `program` is found on PATH.
bool have_program(const std::string& program);

void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path);

}  // namespace lucid::testing
