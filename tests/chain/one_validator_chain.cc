#include "one_validator_chain.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>

#include <fmt/format.h>

#include "chain_client.h"
#include "lucid/base/tcp.h"
#include "testing/docker.h"

namespace lucid::chain::test_client {

using namespace std::chrono_literals;

int free_loopback_port() {
  auto listener = tcp::listen("127.0.0.1:0");
  return listener ? listener->port : 0;
}

OneValidatorChain::~OneValidatorChain() {
  kill_validator();
}

Status OneValidatorChain::start(const std::filesystem::path& dir) {
  dir_ = dir;
  genesis_ = dir / "genesis.json";
  key_ = dir / "validator.key";
  const std::string core = (testing::bin_dir() / "lucid-blockchain-core").string();
  if (auto started = etcd_.start(1); !started) return started;
  auto made = testing::run({core, "keygen", "--out", key_.string()});
  if (made.exit_code != 0) return fail(ErrorKind::kIo, "lucid-blockchain-core keygen: " + made.err);
  auto genesis = testing::run({core, "genesis", "--chain-id", "lucid-test", "--time-ms", "1000",
                               "--validator", made.out.substr(0, 64), "--out", genesis_.string()});
  if (genesis.exit_code != 0) return fail(ErrorKind::kIo, "lucid-blockchain-core genesis: " + genesis.err);
  port_ = free_loopback_port();
  return restart_validator();
}

Status OneValidatorChain::restart_validator() {
  const std::string core = (testing::bin_dir() / "lucid-blockchain-core").string();
  pid_ = testing::spawn(
      {core, "serve", "--genesis", genesis_.string(), "--key", key_.string(), "--etcd", etcd_endpoints(),
       "--listen", fmt::format("127.0.0.1:{}", port_), "--block-interval-ms", "100", "--proposer-lease", "1"},
      dir_ / "validator.out", dir_ / "validator.log");
  if (pid_ <= 0) return fail(ErrorKind::kIo, "cannot start lucid-blockchain-core");
  if (!testing::wait_until([&] { return healthy(base()); }, 20s))
    return fail(ErrorKind::kIo, "the validator never became healthy: " + validator_log_tail());
  return {};
}

std::string OneValidatorChain::base() const {
  return fmt::format("http://127.0.0.1:{}", port_);
}

std::string OneValidatorChain::etcd_endpoints() const {
  std::string endpoints;
  for (const std::string& url : etcd_.client_urls()) endpoints += (endpoints.empty() ? "" : ",") + url;
  return endpoints;
}

void OneValidatorChain::kill_validator() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string OneValidatorChain::validator_log_tail() const {
  auto bytes = testing::read_bytes(dir_ / "validator.log");
  std::string text(bytes.begin(), bytes.end());
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace lucid::chain::test_client
