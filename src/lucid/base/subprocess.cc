#include "lucid/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
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

bool name_matches(std::string_view name, std::string_view pattern) {
  if (pattern.ends_with('*')) return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return name == pattern;
}

// Key material a child must never get, whatever a caller lists (lucid reads these itself).
constexpr std::string_view kNeverPassed[] = {"AGE_PRIVATE_KEY", "SOPS_AGE_KEY"};

bool never_passed(std::string_view name) {
  return std::find(std::begin(kNeverPassed), std::end(kNeverPassed), name) != std::end(kNeverPassed);
}

constexpr std::string_view kDefaultAllowList[] = {
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR", "XDG_CONFIG_HOME",
    "XDG_RUNTIME_DIR",
    // ssh (git's ssh transport): the agent; keys and known_hosts come from HOME.
    "SSH_AUTH_SOCK",
    // git: the operator's transport settings (GIT_SSH_COMMAND, GIT_SSL_CAINFO, GIT_CONFIG_*, …);
    // git_mirror strips the ones that could bypass a SOCKS proxy itself.
    "GIT_*",
    // The Docker CLI and Compose: which daemon, TLS to it, CLI config and plugins.
    "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY",
    "DOCKER_API_VERSION", "COMPOSE_HTTP_TIMEOUT",
    // Network settings git and the Docker CLI honour.
    "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy",
    "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"};

// Stops the child's process group after a timeout and reaps the child. SIGTERM first, SIGKILL once
// the child has exited or `grace` has passed: git removes its lock files (refs, shallow,
// packed-refs) in a SIGTERM handler, and SIGKILL would leave them in the mirror and fail every
// later fetch until someone deletes them by hand. SIGCONT wakes a member stopped by SIGTTIN (an
// ssh prompting on the terminal) so it sees SIGTERM. The SIGKILL then reaches members that ignore
// SIGTERM or outlive the child (waiting for the group to empty is no option: orphans stay in it as
// zombies until init reaps them, which some container inits never do). The group id stays valid
// while any member lives, so it cannot name an unrelated group.
void stop_group(pid_t pid, std::chrono::milliseconds grace, int& status, bool& reaped) {
  ::kill(-pid, SIGTERM);
  ::kill(-pid, SIGCONT);
  const auto until = std::chrono::steady_clock::now() + grace;
  while (!reaped && std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid, &status, WNOHANG) == pid) reaped = true;
    if (!reaped) ::usleep(5000);
  }
  ::kill(-pid, SIGKILL);
  while (!reaped) {
    if (::waitpid(pid, &status, 0) == pid || errno != EINTR) reaped = true;
  }
}

}  // namespace

std::span<const std::string_view> default_env_allow_list() {
  return kDefaultAllowList;
}

std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::vector<std::string> out;
  auto allowed = [&](std::string_view name) {
    if (never_passed(name)) return false;
    for (auto p : kDefaultAllowList)
      if (name_matches(name, p)) return true;
    for (const auto& p : options.pass_env)
      if (name_matches(name, p)) return true;
    return false;
  };
  auto overridden = [&](std::string_view name) {
    return std::any_of(options.set_env.begin(), options.set_env.end(), [&](const std::string& kv) {
      return std::string_view(kv).substr(0, kv.find('=')) == name;
    });
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view name = kv.substr(0, eq);
    if (allowed(name) && !overridden(name)) out.emplace_back(kv);
  }
  for (const auto& kv : options.set_env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || never_passed(std::string_view(kv).substr(0, eq))) continue;
    out.push_back(kv);
  }
  return out;
}

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
  // Its own process group (pgid = its pid), so a timeout reaches everything it started.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> args;
  args.reserve(options.argv.size() + 1);
  for (const auto& a : options.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = child_environment(options);
  std::vector<char*> env;
  env.reserve(env_strings.size() + 1);
  for (auto& kv : env_strings) env.push_back(kv.data());
  env.push_back(nullptr);
  // posix_spawnp searches this process's PATH (the child's is the same or was set by the caller).
  pid_t pid = 0;
  int rc = program.find('/') == std::string::npos
               ? ::posix_spawnp(&pid, program.c_str(), &actions, &attr, args.data(), env.data())
               : ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), env.data());
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
  bool reaped = false;
  while (failure.empty()) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) {
      reaped = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      failure = fmt::format("{} timed out after {} ms", program, options.timeout.count());
      break;
    }
    ::usleep(2000);
  }
  // The pipes are not read again: a descendant that left the group (setsid) and still holds them
  // cannot keep us here; they are closed when this function returns.
  if (!failure.empty()) stop_group(pid, options.kill_grace, status, reaped);
  if (!failure.empty()) return fail(ErrorKind::kIo, failure);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace lucid
