#include "lucid/accept/runner.h"

#include <chrono>

#include <fmt/format.h>

#include "lucid/base/time.h"

namespace lucid::accept {

Result<Report> run_acceptance(const Site& site, engine::DockerClient& docker, const ProbeSettings& settings) {
  Report report;
  report.cluster = site.cluster;
  report.commit = site.commit;
  report.source = site.source;
  report.profiles = site.profiles;
  report.planes = site.planes;
  report.started = utc_now_rfc3339();
  if (auto s = docker.negotiate(); !s) return std::unexpected(s.error());
  auto containers = engine::list_project_summary(docker, site.project);
  if (!containers) return std::unexpected(containers.error());
  RunContext ctx(site, docker, settings, std::move(*containers));

  std::vector<std::string> unknown;
  auto specs = select_checks(site.profiles, &unknown);
  for (const auto& p : unknown)
    ctx.say(fmt::format("profile '{}' has no SPEC-4 acceptance checks; ignored", p));
  for (const auto& spec : specs) {
    if (settings.cancelled && settings.cancelled())
      return fail(ErrorKind::kInternal, fmt::format("stopped before {}", spec.id));
    auto t0 = std::chrono::steady_clock::now();
    CheckResult r;
    switch (spec.probe) {
      case Probe::kNone:
        r = not_implemented(spec, ctx);
        break;
      case Probe::kEncodeCpu:
        r = check_encode_cpu(spec, ctx);
        break;
      case Probe::kSamplePayload:
        r = check_sample_payload(spec, ctx);
        break;
      case Probe::kNoUdp:
        r = check_no_udp(spec, ctx);
        break;
      case Probe::kBetaOnions:
        r = check_beta_onions(spec, ctx);
        break;
      case Probe::kWalletIsolation:
        r = check_wallet_isolation(spec, ctx);
        break;
      case Probe::kConsensusStable:
        r = check_consensus_stable(spec, ctx);
        break;
      case Probe::kVmAbiTests:
        r = check_vm_abi_tests(spec, ctx);
        break;
      case Probe::kSessionsDataCaughtUp:
        r = check_sessions_data_caught_up(spec, ctx);
        break;
    }
    r.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    ctx.say(fmt::format("{} {} ({} ms)", r.id, to_string(r.outcome), r.duration_ms));
    report.checks.push_back(std::move(r));
  }
  report.finished = utc_now_rfc3339();
  return report;
}

}  // namespace lucid::accept
