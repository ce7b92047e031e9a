#include "lucid/beta/tor_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/base/number.h"
#include "lucid/base/text.h"
#include "lucid/beta/log.h"

namespace lucid::beta {
namespace {

using namespace std::chrono_literals;

std::optional<std::uint16_t> read_control_port(const std::filesystem::path& file) {
  auto text = read_text_file(file);
  if (!text) return std::nullopt;
  constexpr std::string_view kPrefix = "PORT=127.0.0.1:";
  auto pos = text->find(kPrefix);
  if (pos == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(*text).substr(pos + kPrefix.size());
  rest = trim(rest.substr(0, rest.find('\n')));
  // Not yet whole (tor still writing) or not a port: nullopt, and the caller looks again.
  auto port = parse_number_in<std::uint16_t>(rest, 1, 65535, "tor control port");
  if (!port) return std::nullopt;
  return *port;
}

}  // namespace

Status TorSupervisor::start() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir(), ec);
  if (ec) return fail(ErrorKind::kIo, config_.data_dir().string() + ": " + ec.message());
  std::filesystem::permissions(config_.state_dir, std::filesystem::perms::owner_all, ec);
  std::filesystem::permissions(config_.data_dir(), std::filesystem::perms::owner_all, ec);
  std::string torrc = render_torrc(config_);
  if (auto s = write_file_atomic(config_.torrc(),
                                 {reinterpret_cast<const std::uint8_t*>(torrc.data()), torrc.size()}, 0600);
      !s)
    return s;
  if (auto s = write_file_atomic(config_.state_dir / "torrc-defaults", {}, 0600); !s) return s;
  thread_ = std::thread([this] { loop(); });
  return {};
}

void TorSupervisor::stop() {
  if (stopping_.exchange(true)) {
    if (thread_.joinable()) thread_.join();
    return;
  }
  {
    MutexLock lock(mu_);
    cv_.notify_all();
  }
  if (pid_t p = pid_.load(); p > 0) ::kill(p, SIGTERM);
  if (thread_.joinable()) thread_.join();
}

void TorSupervisor::kill_tor() {
  if (pid_t p = pid_.load(); p > 0) ::kill(p, SIGKILL);
}

bool TorSupervisor::sleep_for(std::chrono::milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  MutexLock lock(mu_);
  while (!stopping_ && std::chrono::steady_clock::now() < deadline) lock.wait_until(cv_, deadline);
  return !stopping_;
}

void TorSupervisor::loop() {
  auto backoff = 500ms;
  bool first = true;
  while (!stopping_) {
    if (!first) restarts_++;
    first = false;
    std::filesystem::remove(config_.control_port_file());
    const std::string torrc = config_.torrc().string();
    const std::string defaults = (config_.state_dir / "torrc-defaults").string();
    const std::string out = (config_.state_dir / "tor.stdout").string();
    pid_t child = ::fork();
    if (child == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::execlp(config_.tor_binary.c_str(), config_.tor_binary.c_str(), "-f", torrc.c_str(),
               "--defaults-torrc", defaults.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (child < 0) {
      log_line("tor", fmt::format("fork failed: {}", errno_text(errno)));
      if (!sleep_for(backoff)) return;
      continue;
    }
    pid_ = child;
    log_line("tor", fmt::format("started tor pid {}", child));
    auto started = std::chrono::steady_clock::now();
    bool up = false;
    int status = 0;
    bool exited = false;
    while (!stopping_) {
      pid_t r = ::waitpid(child, &status, WNOHANG);
      if (r == child) {
        exited = true;
        break;
      }
      if (!up) {
        if (auto port = read_control_port(config_.control_port_file())) {
          up = true;
          if (callbacks_.on_up) callbacks_.on_up(*port);
        } else if (std::chrono::steady_clock::now() - started > 60s) {
          log_line("tor", "tor wrote no control port within 60 s; killing it");
          ::kill(child, SIGKILL);
        }
      }
      sleep_for(50ms);
    }
    if (!exited) {
      ::kill(child, SIGTERM);
      for (int i = 0; i < 100 && ::waitpid(child, &status, WNOHANG) != child; ++i)
        std::this_thread::sleep_for(50ms);
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
    }
    pid_ = 0;
    if (callbacks_.on_down) callbacks_.on_down();
    if (stopping_) return;
    log_line("tor", fmt::format("tor exited ({}); restarting in {} ms",
                                WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                                                    : fmt::format("status {}", WEXITSTATUS(status)),
                                backoff.count()));
    if (std::chrono::steady_clock::now() - started > 60s) backoff = 500ms;
    if (!sleep_for(backoff)) return;
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 10s);
  }
}

}  // namespace lucid::beta
