#include "lucid/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "lucid/base/files.h"

extern char** environ;

namespace lucid {
namespace {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Status make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail(ErrorKind::kIo, "pipe: " + errno_text(errno));
  read_end.fd = p[0];
  write_end.fd = p[1];
  return {};
}

// Blocks SIGPIPE on this thread while we write to the child's stdin, so a child that exits early
// gives EPIPE instead of killing us; a SIGPIPE left pending by our own writes is consumed after.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_{};
  bool was_pending_ = false;
};

}  // namespace

std::string first_line(std::string_view text, std::size_t max) {
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) text.remove_prefix(1);
  std::string_view line = text.substr(0, text.find('\n'));
  if (line.size() > max) return std::string(line.substr(0, max)) + "…";
  return std::string(line);
}

Result<ProcessResult> run_process(const ProcessOptions& options) {
  if (options.argv.empty() || options.argv[0].empty())
    return fail(ErrorKind::kInvalidArgument, "run_process: empty argv");
  const std::string& program = options.argv[0];

  Fd in_read, in_write, out_read, out_write, err_read, err_write;
  if (options.stdin_bytes) {
    if (auto s = make_pipe(in_read, in_write); !s) return std::unexpected(s.error());
  }
  if (auto s = make_pipe(out_read, out_write); !s) return std::unexpected(s.error());
  if (auto s = make_pipe(err_read, err_write); !s) return std::unexpected(s.error());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_bytes)
    posix_spawn_file_actions_adddup2(&actions, in_read.fd, 0);
  else
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, 2);
  if (options.cwd) posix_spawn_file_actions_addchdir_np(&actions, options.cwd->c_str());

  // The child starts with default SIGPIPE handling and an empty signal mask.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty_set, default_set;
  sigemptyset(&empty_set);
  sigemptyset(&default_set);
  sigaddset(&default_set, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &empty_set);
  posix_spawnattr_setsigdefault(&attr, &default_set);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(options.argv.size() + 1);
  for (const auto& a : options.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = program.find('/') == std::string::npos
               ? ::posix_spawnp(&pid, program.c_str(), &actions, &attr, args.data(), environ)
               : ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  in_read.reset();
  out_write.reset();
  err_write.reset();
  if (rc != 0) return fail(ErrorKind::kNotFound, fmt::format("cannot run {}: {}", program, errno_text(rc)));

  SigpipeGuard sigpipe_guard;
  if (in_write.fd >= 0) ::fcntl(in_write.fd, F_SETFL, ::fcntl(in_write.fd, F_GETFL) | O_NONBLOCK);
  std::string_view to_write = options.stdin_bytes ? std::string_view(*options.stdin_bytes) : "";
  if (in_write.fd >= 0 && to_write.empty()) in_write.reset();

  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::string failure;
  char buf[65536];
  while (out_read.fd >= 0 || err_read.fd >= 0 || in_write.fd >= 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = fmt::format("{} timed out after {} ms", program, options.timeout.count());
      break;
    }
    pollfd fds[3] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}, {in_write.fd, POLLOUT, 0}};
    int n = ::poll(fds, 3, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0) {
      if (errno == EINTR) continue;
      failure = "poll: " + errno_text(errno);
      break;
    }
    Fd* readers[2] = {&out_read, &err_read};
    std::string* sinks[2] = {&result.out, &result.err};
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        readers[i]->reset();
        continue;
      }
      sinks[i]->append(buf, static_cast<std::size_t>(got));
      if (sinks[i]->size() > options.max_output) {
        failure = fmt::format("{} wrote more than {} bytes", program, options.max_output);
        break;
      }
    }
    if (!failure.empty()) break;
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      ssize_t put = ::write(in_write.fd, to_write.data(), to_write.size());
      if (put > 0) {
        to_write.remove_prefix(static_cast<std::size_t>(put));
        if (to_write.empty()) in_write.reset();
      } else if (put < 0 && errno != EINTR && errno != EAGAIN) {
        in_write.reset();  // EPIPE: the child no longer reads; its exit status tells the rest
      }
    }
  }
  // The streams are closed; the child may still run (it closed them early): wait up to the deadline.
  int status = 0;
  while (failure.empty()) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      failure = fmt::format("{} timed out after {} ms", program, options.timeout.count());
      break;
    }
    ::usleep(2000);
  }
  if (!failure.empty()) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!failure.empty()) return fail(ErrorKind::kIo, failure);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace lucid
