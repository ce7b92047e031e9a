// Container state of one Compose project as the engine reports it: list by the project label, then
// inspect each for start time, health and restart policy (or the list alone, for a quick check).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/engine/docker_client.h"

namespace lucid::engine {

struct ContainerState {
  std::string id;
  std::string name;             // without the leading '/'
  std::string service;          // com.docker.compose.service
  std::string state;            // created, running, paused, restarting, removing, exited, dead
  std::string health;           // "" (no healthcheck), starting, healthy, unhealthy
  std::string last_health_log;  // last line of the newest healthcheck output (300 bytes), "" when none
  std::string started_at;       // State.StartedAt as the engine writes it (RFC 3339, ns)
  std::string image;            // Config.Image (the reference the service named)
  std::string image_id;         // sha256:… of the image
  std::string config_hash;      // com.lucid.config-hash, "" when absent
  std::string restart_policy;   // HostConfig.RestartPolicy.Name ("" or "no" when none)
  int exit_code = 0;
  bool oom_killed = false;
  bool has_healthcheck = false;  // a healthcheck other than NONE is configured
  std::map<std::string, std::string> labels;

  bool running() const { return state == "running"; }
};

// Fills a ContainerState from GET /containers/{id}/json.
ContainerState from_inspect(const nlohmann::json& inspect);

// One container by id or name; kNotFound when it does not exist.
Result<ContainerState> inspect_container(const DockerClient& docker, const std::string& id);

// Every container (running or not) labelled com.docker.compose.project=`project`, sorted by
// service then name. A container removed between list and inspect is left out.
Result<std::vector<ContainerState>> list_project(const DockerClient& docker, const std::string& project);

// Fills what GET /containers/json tells of a container: id, name, image, labels (service, config
// hash), state, health (from the Status text) and the exit code of an exited one. No start time,
// OOM flag, health log or restart policy.
ContainerState from_list_entry(const nlohmann::json& entry);

// The same containers from the one list request (from_list_entry): enough to tell whether the
// project runs a plan (detect_drift) without an inspect per container.
Result<std::vector<ContainerState>> list_project_summary(const DockerClient& docker,
                                                         const std::string& project);

}  // namespace lucid::engine
