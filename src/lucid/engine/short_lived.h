// What DockerClient's JSON calls do not cover: raw (multiplexed) output of container logs and
// execs, running a command in a container, and short-lived hardened containers that are always
// removed (accept's probes, beta's UDP-ban helper).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/engine/docker_client.h"

namespace lucid::engine {

struct Output {
  std::string out, err;
};

// Splits the engine's multiplexed stream (8-byte frame headers: stream, 0, 0, 0, size big-endian)
// into stdout and stderr. A truncated last frame keeps what arrived.
Output demultiplex(std::string_view stream);

struct ExecResult {
  int exit_code = -1;
  Output output;
};

// Runs `argv` in the running container `id` (POST /containers/{id}/exec, /exec/{id}/start) and
// waits for it, at most `timeout`.
Result<ExecResult> exec_in(const DockerClient& docker, const std::string& id,
                           const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// The host directory of a named volume (GET /volumes/{name}). kNotFound naming it.
Result<std::string> volume_mountpoint(const DockerClient& docker, const std::string& name);

struct ContainerSpec {
  std::string name;  // "" lets the engine choose
  std::string image;
  std::vector<std::string> cmd;
  // The container's only network: a network id or name, or "container:<id>" to share the
  // network namespace of that container.
  std::string network;
  std::map<std::string, std::string> labels;
  std::string user = "65534:65534";
  // Added back after every capability is dropped (e.g. "NET_ADMIN"); empty for a probe.
  std::vector<std::string> cap_add = {};
  std::string entrypoint = {};  // "" keeps the image's
};

// A short-lived container: created hardened (read-only root, every capability dropped but
// `cap_add`, no new privileges, 64 MiB, 64 pids, no restart) and removed with force when the
// object goes away.
class ShortLivedContainer {
 public:
  static Result<ShortLivedContainer> start(const DockerClient& docker, const ContainerSpec& spec);
  ShortLivedContainer(ShortLivedContainer&& other) noexcept;
  ShortLivedContainer& operator=(ShortLivedContainer&&) = delete;
  ShortLivedContainer(const ShortLivedContainer&) = delete;
  ~ShortLivedContainer();

  const std::string& id() const { return id_; }
  // Its address on `network` (as named in the spec).
  Result<std::string> ip() const;
  // Waits until it exited (at most `timeout`; kIo when it is still running) and returns its exit code.
  Result<int> wait(std::chrono::milliseconds timeout) const;
  Result<Output> logs() const;
  // Polls the logs until stdout holds `text` (at most `timeout`).
  Status wait_for_output(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  ShortLivedContainer(const DockerClient* docker, std::string id, std::string network)
      : docker_(docker), id_(std::move(id)), network_(std::move(network)) {}
  const DockerClient* docker_ = nullptr;
  std::string id_, network_;
};

}  // namespace lucid::engine
