// cluster.beta-onions: beta's own health (`betactl health` run inside the beta container, as its
// healthcheck does, so it reaches betad's loopback admin listener) must show one published onion
// per plane of the cluster (BETA_PLANES), each with its own address.
#include <set>

#include <fmt/format.h>

#include "lucid/accept/checks.h"
#include "lucid/base/subprocess.h"
#include "lucid/engine/short_lived.h"

namespace lucid::accept {

using namespace std::chrono_literals;

CheckResult check_beta_onions(const CheckSpec& spec, RunContext& ctx) {
  CheckResult r = result_for(spec);
  const auto* beta = ctx.running("beta");
  bool present = ctx.site.services.contains("beta");
  for (const auto& c : ctx.containers) present = present || c.service == "beta";
  if (!present) {
    r.outcome = Outcome::kNotImplemented;
    r.evidence = "missing service: beta is not part of this cluster (policies/profiles.yaml, clusters.yaml)";
    r.detail = {{"missing", "service"}, {"services", {{"beta", "not part of this cluster"}}}};
    return r;
  }
  r.outcome = Outcome::kFail;
  r.detail["planes_expected"] = ctx.site.planes;
  if (!beta) {
    r.evidence = fmt::format("beta is {}: no onion can be published", service_state(ctx, "beta"));
    return r;
  }
  ctx.say("beta: betactl health in " + beta->name);
  auto ex = engine::exec_in(ctx.docker, beta->id, {"/usr/local/bin/betactl", "health", "--json"}, 15s);
  if (!ex) {
    r.evidence = fmt::format("cannot ask beta: {}", ex.error().message);
    return r;
  }
  auto health = nlohmann::json::parse(ex->output.out, nullptr, false);
  if (health.is_discarded() || !health.is_object() || !health.contains("planes")) {
    r.evidence = fmt::format("betactl health (exit {}) gave no health report: {}", ex->exit_code,
                             first_line(ex->output.err.empty() ? ex->output.out : ex->output.err));
    return r;
  }
  r.detail["beta_ok"] = health.value("ok", false);
  r.detail["tor"] = health.value("tor", false);
  r.detail["problems"] = health.value("problems", nlohmann::json::array());
  nlohmann::ordered_json planes = nlohmann::ordered_json::object();
  std::vector<std::string> bad, good;
  std::set<std::string> addresses;
  for (const auto& plane : ctx.site.planes) {
    const auto& p = health["planes"].contains(plane) ? health["planes"][plane] : nlohmann::json();
    bool published = p.is_object() && p.value("published", false);
    std::string address = p.is_object() ? p.value("address", "") : "";
    planes[plane] = {{"published", published}, {"address", address}};
    if (!p.is_object())
      bad.push_back(fmt::format("{}: beta does not serve this plane", plane));
    else if (!published || address.size() <= 6)
      bad.push_back(fmt::format("{}: not published", plane));
    else if (!addresses.insert(address).second)
      bad.push_back(fmt::format("{}: shares its onion {} with another plane", plane, address));
    else
      good.push_back(fmt::format("{}={}", plane, address));
  }
  r.detail["planes"] = planes;
  if (ctx.site.planes.empty()) bad.push_back("the cluster names no plane (BETA_PLANES)");
  if (bad.empty()) {
    r.outcome = Outcome::kPass;
    r.evidence = fmt::format("{}/{} planes published by beta: {}", good.size(), ctx.site.planes.size(),
                             fmt::join(good, ", "));
  } else {
    r.evidence =
        fmt::format("{}/{} planes published; {}", good.size(), ctx.site.planes.size(), fmt::join(bad, "; "));
  }
  return r;
}

}  // namespace lucid::accept
