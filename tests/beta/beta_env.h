// The e2e environment for betad: a running Docker engine (started if needed), a FROM-scratch test
// image (static busybox + beta_probe), three plane networks and betad, all under a unique prefix.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace lucid::beta::e2e {

// Empty string when the environment is usable; otherwise why not (the test skips with it).
std::string ensure_docker();
// Builds (once per process) the test image; returns its tag or "" with `why` set.
std::string test_image(std::string& why);
testing::RunResult docker(const std::vector<std::string>& args);
// A loopback TCP port nothing listens on at the time of the call.
std::uint16_t free_port();
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit,
                std::chrono::milliseconds step = std::chrono::milliseconds(100));

class BetaEnv {
 public:
  struct Options {
    // Tells several environments of one process apart (two sites): part of every name.
    std::string instance;
    std::string cluster_id = "e2e";
    // tor joins a network (a private one: --tor-config in extra_betad_args); else DisableNetwork 1.
    bool tor_network = false;
    // tor's SocksPort; "auto" unless a test needs it fixed (the SOCKS front's --directory does).
    std::string tor_socks = "127.0.0.1:auto";
    std::vector<std::string> extra_betad_args;
    std::map<std::string, std::string> environment;  // betad's, beside the test's own
  };
  BetaEnv() : BetaEnv(Options{}) {}
  explicit BetaEnv(Options options);
  ~BetaEnv();
  const std::string& prefix() const { return prefix_; }
  const std::string& image() const { return image_; }
  std::filesystem::path key_dir() const { return dir_ / "keys"; }
  std::string network(const std::string& plane) const { return prefix_ + "-" + plane; }
  std::string gateway(const std::string& plane) const { return gateways_.at(plane); }
  std::uint16_t resolver_port() const { return resolver_port_; }
  std::string admin() const { return "127.0.0.1:" + std::to_string(admin_port_); }

  // Starts betad and waits (bounded) for `betactl health`; false on timeout.
  bool start_betad(std::chrono::milliseconds limit = std::chrono::seconds(30));
  // Starts betad without waiting; returns its exit code if it exits within `limit`.
  std::optional<int> start_betad_expect_exit(std::chrono::milliseconds limit);
  void stop_betad();
  pid_t betad_pid() const { return betad_; }
  std::string betad_log() const;

  testing::RunResult betactl(const std::vector<std::string>& args) const;
  nlohmann::json admin_json(const std::string& path, long* status = nullptr) const;

  // Runs a labeled container on `plane`'s network (`command`: the image's `sleep 3600` when empty);
  // returns its name.
  std::string run_container(const std::string& name, const std::string& plane,
                            const std::map<std::string, std::string>& labels,
                            const std::vector<std::string>& command = {});
  std::string container_ip(const std::string& name, const std::string& plane) const;
  pid_t container_pid(const std::string& name) const;
  // busybox wget from inside `name` to the resolver on its plane's gateway: HTTP status or -1.
  int resolve_from(const std::string& name, const std::string& plane, const std::string& target) const;

  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }

 private:
  Options options_;
  std::string why_;
  std::string prefix_, image_;
  testing::ScratchDir dir_;
  std::map<std::string, std::string> gateways_;
  std::vector<std::string> containers_;
  std::uint16_t admin_port_ = 0, resolver_port_ = 0;
  pid_t betad_ = 0;
};

}  // namespace lucid::beta::e2e
