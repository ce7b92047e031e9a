// What the probes need from the Docker engine beyond engine::DockerClient's JSON calls: raw
// (multiplexed) output of container logs and execs, running a command in a container, and
// short-lived probe containers that are always removed.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/engine/docker_client.h"

namespace lucid::accept {

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
Result<ExecResult> exec_in(const engine::DockerClient& docker, const std::string& id,
                           const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// The host directory of a named volume (GET /volumes/{name}). kNotFound naming it.
Result<std::string> volume_mountpoint(const engine::DockerClient& docker, const std::string& name);

struct ContainerSpec {
  std::string name;  // "" lets the engine choose
  std::string image;
  std::vector<std::string> cmd;
  std::string network;  // id or name; the container's only network
  std::map<std::string, std::string> labels;
  std::string user = "65534:65534";
};

// A probe container: created hardened (read-only root, every capability dropped, no new
// privileges, 64 MiB, no restart) and removed with force when the object goes away.
class ProbeContainer {
 public:
  static Result<ProbeContainer> start(const engine::DockerClient& docker, const ContainerSpec& spec);
  ProbeContainer(ProbeContainer&& other) noexcept;
  ProbeContainer& operator=(ProbeContainer&&) = delete;
  ProbeContainer(const ProbeContainer&) = delete;
  ~ProbeContainer();

  const std::string& id() const { return id_; }
  // Its address on `network` (as named in the spec).
  Result<std::string> ip() const;
  // Waits until it exited (at most `timeout`; kIo when it is still running) and returns its exit code.
  Result<int> wait(std::chrono::milliseconds timeout) const;
  Result<Output> logs() const;
  // Polls the logs until stdout holds `text` (at most `timeout`).
  Status wait_for_output(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  ProbeContainer(const engine::DockerClient* docker, std::string id, std::string network)
      : docker_(docker), id_(std::move(id)), network_(std::move(network)) {}
  const engine::DockerClient* docker_ = nullptr;
  std::string id_, network_;
};

}  // namespace lucid::accept
