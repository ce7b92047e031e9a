// Drift correction without Compose: when every drifted container still exists and carries its
// plan's config hash, it is started (restarted when unhealthy, unpaused when paused) straight
// through the Engine API, dependencies before dependants. Deciding is pure; starting talks to the engine.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/engine/containers.h"
#include "lucid/engine/docker_client.h"
#include "lucid/engine/drift.h"
#include "lucid/engine/health.h"

namespace lucid::engine {

// service → (dependency → condition: "service_started", "service_healthy", …), read from a Compose
// document's `depends_on` (the map the renderer writes; a list counts as service_started).
using DependsOn = std::map<std::string, std::map<std::string, std::string>>;
DependsOn depends_on_of(const nlohmann::json& document);

enum class StartAction {
  kStart,    // exited or created: POST /containers/{id}/start
  kRestart,  // running but unhealthy: POST /containers/{id}/restart (Compose would leave it as is)
  kUnpause,  // paused: POST /containers/{id}/unpause
};
const char* to_string(StartAction a);

struct StartStep {
  std::string service;
  std::string container_id;
  StartAction action = StartAction::kStart;
  int wave = 0;  // 0: depends on no other step; n: after every step of wave n-1 it depends on
  // Dependencies with condition service_healthy that an earlier wave started: healthy before this step.
  std::vector<std::string> await_healthy;
};

struct StartDecision {
  std::vector<StartStep> steps;  // ordered by wave, then service; empty when Compose is needed
  std::string compose_because;   // non-empty: why the drift needs Compose (the first reason found)
  bool direct() const { return compose_because.empty(); }
};

// Whether the drift of a project can be corrected by starting its existing containers, and how.
// Qualifies only when `desired.known_ids` is set (so a container recreated by hand is recognised)
// and every drift — those the watch saw (`seen`) and those of the snapshot `observed` — is stopped,
// killed, OOM-killed or unhealthy, of the one container of a plan service that carries the plan's
// config hash and is exited, created, paused or running. Anything else (a container missing,
// changed, recreated, duplicated, dead, an orphan, a depends_on cycle) needs Compose. No drift in
// the snapshot gives no steps but still direct() (nothing to start).
StartDecision plan_start(const DesiredState& desired, const std::vector<ContainerState>& observed,
                         const std::vector<Drift>& seen, const DependsOn& depends_on);

struct StartReport {
  std::vector<std::string> done;  // "web: start", in the order done
  std::chrono::milliseconds took{0};
};

// Runs `steps` (plan_start's) wave by wave, the steps of a wave in parallel; before a wave, waits
// (engine::wait_healthy with `health`) on the dependencies its steps await. Fails at the first
// action the engine refuses or dependency that does not become healthy, naming the service; the
// steps done before stay done (the caller falls back to Compose, which takes over from there).
Result<StartReport> start_existing(const DockerClient& docker, const std::string& project,
                                   const std::vector<StartStep>& steps, const HealthOptions& health = {});

}  // namespace lucid::engine
