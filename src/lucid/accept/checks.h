// The probes behind the checks (catalogue.h) and what they share: the site, the engine, the
// project's containers and the probe image (built on first use). Each returns a CheckResult whose
// outcome is pass only on positive evidence; a probe that cannot run is a fail saying why.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lucid/accept/catalogue.h"
#include "lucid/accept/probe_image.h"
#include "lucid/accept/report.h"
#include "lucid/accept/site.h"
#include "lucid/engine/containers.h"
#include "lucid/engine/docker_client.h"

namespace lucid::accept {

struct ProbeSettings {
  std::filesystem::path probe_program;  // the binary put in the probe image (lucidctl)
  std::vector<std::string> probe_prefix = {"accept", "probe"};
  int udp_datagrams = 10;
  std::chrono::milliseconds ban_grace{3000};  // a labelled sender waits this long for beta's ban
  std::chrono::milliseconds seal_timeout{60000};
  // blockchain.consensus-stable reads the validator's status twice, this far apart.
  std::chrono::milliseconds consensus_window{5000};
  std::size_t sample_bytes = 20u << 20;              // three chunks at node-worker's default chunk size
  std::function<void(const std::string&)> progress;  // one line per step (stderr), may be empty
  // Asked before each check: true stops the run (run_acceptance then fails with "stopped"), so a
  // reconciler shutting down waits at most for the check in progress. May be empty.
  std::function<bool()> cancelled;
};

// The defaults, with this very program as the probe (the probe image holds it: `lucidctl accept
// probe …`, or the reconciler's own binary when it runs acceptance after a promotion).
ProbeSettings probe_settings_of_this_program();

struct RunContext {
  RunContext(const Site& s, const engine::DockerClient& d, ProbeSettings p,
             std::vector<engine::ContainerState> c)
      : site(s), docker(d), settings(std::move(p)), containers(std::move(c)) {}

  const Site& site;
  const engine::DockerClient& docker;
  ProbeSettings settings;
  std::vector<engine::ContainerState> containers;  // the project's, at the start of the run

  // The probe image, built on first use (cached, errors too).
  Result<ProbeImage> probe_image();
  // The running container of `service`, if any.
  const engine::ContainerState* running(const std::string& service) const;
  void say(const std::string& line) const {
    if (settings.progress) settings.progress(line);
  }

 private:
  std::optional<Result<ProbeImage>> image_;
};

// A result for `spec` with its id, profile and title filled in (outcome not-implemented).
inline CheckResult result_for(const CheckSpec& spec) {
  CheckResult r;
  r.id = spec.id;
  r.profile = spec.profile;
  r.title = spec.title;
  return r;
}

// How a service stands on this site: "running", "not running (exited)", "not started", or
// "not part of this cluster (profiles …)".
std::string service_state(const RunContext& ctx, const std::string& service);

CheckResult not_implemented(const CheckSpec& spec, const RunContext& ctx);
CheckResult check_encode_cpu(const CheckSpec& spec, const RunContext& ctx);
CheckResult check_sample_payload(const CheckSpec& spec, RunContext& ctx);
CheckResult check_beta_onions(const CheckSpec& spec, RunContext& ctx);
CheckResult check_no_udp(const CheckSpec& spec, RunContext& ctx);
CheckResult check_wallet_isolation(const CheckSpec& spec, RunContext& ctx);
CheckResult check_consensus_stable(const CheckSpec& spec, RunContext& ctx);
CheckResult check_vm_abi_tests(const CheckSpec& spec, RunContext& ctx);
CheckResult check_sessions_data_caught_up(const CheckSpec& spec, RunContext& ctx);

// What a service's own program printed as JSON when run inside its container (`<program> status`
// and the like): the object and the program's exit code. An error when it could not run, or printed
// no JSON object with `required_key` (the message names the program, its exit code and its first
// line of output).
struct ExecJson {
  nlohmann::json document;
  int exit_code = -1;
};
Result<ExecJson> exec_json(RunContext& ctx, const engine::ContainerState& container,
                           const std::vector<std::string>& argv, std::string_view required_key);

// Plane networks of the project: (network id, name, plane), sorted by plane.
struct PlaneNetwork {
  std::string id, name, plane;
};
Result<std::vector<PlaneNetwork>> plane_networks(const engine::DockerClient& docker,
                                                 const std::string& project);

// The label beta's --scope-label limits it to ("k=v"), read from the beta container's command
// line; nullopt when beta runs unscoped or is absent. A probe that beta must see carries it.
std::optional<std::pair<std::string, std::string>> beta_scope_label(const RunContext& ctx);

}  // namespace lucid::accept
