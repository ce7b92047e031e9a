#include "beta/beta_env.h"

#include "testing/docker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace lucid::beta::e2e {
namespace {

using namespace std::chrono_literals;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

testing::RunResult docker(const std::vector<std::string>& args) {
  return testing::docker(args);
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit,
                std::chrono::milliseconds step) {
  return testing::wait_until(pred, limit, step);
}

std::string ensure_docker() {
  return testing::ensure_docker();
}

std::string test_image(std::string& why) {
  static std::string tag, reason;
  static bool done = false;
  if (done) {
    why = reason;
    return tag;
  }
  done = true;
  reason = testing::build_busybox_image("lucid-beta-test:e2e",
                                        {{testing::bin_dir() / "beta_probe", "/bin/probe"}});
  if (!reason.empty()) {
    why = reason;
    return {};
  }
  tag = "lucid-beta-test:e2e";
  return tag;
}

BetaEnv::BetaEnv(Options options) : options_(std::move(options)) {
  why_ = ensure_docker();
  if (!why_.empty()) return;
  image_ = test_image(why_);
  if (!why_.empty()) return;
  prefix_ = "lucidbeta" + std::to_string(::getpid()) + options_.instance;
  for (const char* plane : {"ops", "chain", "wallet"}) {
    auto r = docker({"network", "create", "--label", std::string("com.lucid.plane=") + plane, "--label",
                     "com.lucid.test=" + prefix_, network(plane)});
    if (r.exit_code != 0) {
      why_ = "docker network create failed: " + r.err;
      return;
    }
    gateways_[plane] =
        trim(docker({"network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", network(plane)}).out);
  }
  admin_port_ = free_port();
  resolver_port_ = free_port();
}

BetaEnv::~BetaEnv() {
  stop_betad();
  std::vector<std::string> rm{"rm", "-f"};
  auto ids = docker({"ps", "-aq", "--filter", "label=com.lucid.test=" + prefix_});
  std::istringstream in(ids.out);
  for (std::string id; in >> id;) rm.push_back(id);
  if (rm.size() > 2) docker(rm);
  for (const char* plane : {"ops", "chain", "wallet"})
    if (!prefix_.empty()) docker({"network", "rm", network(plane)});
}

bool BetaEnv::start_betad(std::chrono::milliseconds limit) {
  auto code = start_betad_expect_exit(0ms);
  if (code) return false;
  return wait_until([&] { return betactl({"health"}).exit_code == 0; }, limit, 200ms);
}

std::optional<int> BetaEnv::start_betad_expect_exit(std::chrono::milliseconds limit) {
  std::vector<std::string> args{
      (testing::bin_dir() / "betad").string(),
      "--cluster-id",
      options_.cluster_id,
      "--key-dir",
      key_dir().string(),
      "--state-dir",
      (dir_ / "tor").string(),
      "--socks",
      options_.tor_socks,
      "--acl",
      (std::filesystem::path(LUCID_SOURCE_DIR) / "deploy/policies/acl.yaml").string(),
      "--scope-label",
      "com.lucid.test=" + prefix_,
      "--admin",
      admin(),
      "--resolver-port",
      std::to_string(resolver_port_)};
  if (!options_.tor_network) args.push_back("--disable-network");
  args.insert(args.end(), options_.extra_betad_args.begin(), options_.extra_betad_args.end());
  std::string log = (dir_ / "betad.log").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [name, value] : options_.environment) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  betad_ = pid;
  auto end = std::chrono::steady_clock::now() + limit;
  do {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      betad_ = 0;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(50ms);
  } while (std::chrono::steady_clock::now() < end);
  return std::nullopt;
}

void BetaEnv::stop_betad() {
  if (betad_ <= 0) return;
  ::kill(betad_, SIGTERM);
  int status = 0;
  bool gone = wait_until([&] { return ::waitpid(betad_, &status, WNOHANG) == betad_; }, 15s, 50ms);
  if (!gone) {
    ::kill(betad_, SIGKILL);
    ::waitpid(betad_, &status, 0);
  }
  betad_ = 0;
}

std::string BetaEnv::betad_log() const {
  std::ifstream in(dir_ / "betad.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

testing::RunResult BetaEnv::betactl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{(testing::bin_dir() / "betactl").string(), "--admin", admin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::run(argv);
}

nlohmann::json BetaEnv::admin_json(const std::string& path, long* status) const {
  auto r = testing::run(
      {"curl", "-s", "--noproxy", "*", "-m", "5", "-w", "\n%{http_code}", "http://" + admin() + path});
  auto nl = r.out.rfind('\n');
  if (status) *status = nl == std::string::npos ? 0 : std::atol(r.out.c_str() + nl + 1);
  auto j = nlohmann::json::parse(r.out.substr(0, nl == std::string::npos ? 0 : nl), nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

std::string BetaEnv::run_container(const std::string& name, const std::string& plane,
                                   const std::map<std::string, std::string>& labels,
                                   const std::vector<std::string>& command) {
  std::string full = prefix_ + "-" + name;
  std::vector<std::string> args{"run",       "-d",           "--name",  full,
                                "--network", network(plane), "--label", "com.lucid.test=" + prefix_};
  for (const auto& [k, v] : labels) {
    args.push_back("--label");
    args.push_back(k + "=" + v);
  }
  args.push_back(image_);
  args.insert(args.end(), command.begin(), command.end());
  auto r = docker(args);
  containers_.push_back(full);
  return r.exit_code == 0 ? full : std::string();
}

std::string BetaEnv::container_ip(const std::string& name, const std::string& plane) const {
  return trim(docker({"inspect", "-f",
                      "{{(index .NetworkSettings.Networks \"" + network(plane) + "\").IPAddress}}", name})
                  .out);
}

pid_t BetaEnv::container_pid(const std::string& name) const {
  return static_cast<pid_t>(std::atol(trim(docker({"inspect", "-f", "{{.State.Pid}}", name}).out).c_str()));
}

int BetaEnv::resolve_from(const std::string& name, const std::string& plane,
                          const std::string& target) const {
  auto r = docker({"exec", name, "/bin/probe", "http-get", gateway(plane), std::to_string(resolver_port_),
                   "/v1/resolve/" + target});
  std::smatch m;
  if (r.exit_code == 0 && std::regex_search(r.out, m, std::regex("^HTTP/1\\.[01] ([0-9]{3})")))
    return std::stoi(m[1]);
  return -1;
}

}  // namespace lucid::beta::e2e
