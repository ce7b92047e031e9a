// cluster.wallet-isolation: from a probe container on the wallet network, labelled as a wallet-plane
// service that no ACL link names (accept-probe), a TCP connect to every port of every running
// wallet-plane service. policies/acl.yaml (beta's built-in default when the repo has none) says what
// such a caller may reach; the check passes when what connects is exactly what the policy allows.
#include <fmt/format.h>

#include "lucid/accept/checks.h"
#include "lucid/base/number.h"
#include "lucid/beta/acl.h"
#include "lucid/beta/labels.h"
#include "lucid/engine/short_lived.h"

namespace lucid::accept {

using namespace std::chrono_literals;

namespace {

constexpr const char* kProbeService = "accept-probe";

struct Target {
  std::string service, endpoint;
  bool expect_allowed = false;
  std::string reason;
};

}  // namespace

CheckResult check_wallet_isolation(const CheckSpec& spec, RunContext& ctx) {
  CheckResult r = result_for(spec);
  std::vector<const engine::ContainerState*> wallet;
  for (const auto& c : ctx.containers)
    if (c.running() && c.labels.contains(beta::kPlaneLabel) && c.labels.at(beta::kPlaneLabel) == "wallet")
      wallet.push_back(&c);
  if (wallet.empty()) {
    r.outcome = Outcome::kNotImplemented;
    r.evidence =
        fmt::format("missing service: no wallet-plane service runs on this site (walletd: {}, tron-node: {})",
                    service_state(ctx, "walletd"), service_state(ctx, "tron-node"));
    r.detail = {
        {"missing", "service"},
        {"services",
         {{"walletd", service_state(ctx, "walletd")}, {"tron-node", service_state(ctx, "tron-node")}}}};
    return r;
  }
  r.outcome = Outcome::kFail;
  auto nets = plane_networks(ctx.docker, ctx.site.project);
  if (!nets) {
    r.evidence = "cannot list the project's networks: " + nets.error().message;
    return r;
  }
  const PlaneNetwork* net = nullptr;
  for (const auto& n : *nets)
    if (n.plane == "wallet") net = &n;
  if (!net) {
    r.evidence = fmt::format("cannot probe: project {} has no wallet network", ctx.site.project);
    return r;
  }
  beta::AclPolicy policy = beta::AclPolicy::defaults(ctx.site.planes);
  std::string policy_source = "beta's built-in default (the repo has no policies/acl.yaml)";
  if (ctx.site.acl_yaml) {
    auto p = beta::AclPolicy::parse(*ctx.site.acl_yaml);
    if (!p) {
      r.evidence = "policies/acl.yaml: " + p.error().message;
      return r;
    }
    policy = *p;
    policy_source = "policies/acl.yaml";
  }
  r.detail["policy"] = policy_source;

  std::vector<Target> targets;
  for (const auto* c : wallet) {
    auto j = ctx.docker.get_json("/containers/" + c->id + "/json");
    if (!j) continue;
    std::string ip;
    std::vector<std::string> attached;
    for (const auto& [name, n] : (*j)["NetworkSettings"]["Networks"].items()) {
      attached.push_back(name);
      if (n.value("NetworkID", "") == net->id) ip = n.value("IPAddress", "");
    }
    std::vector<std::uint16_t> ports;
    if (auto e = c->labels.find(beta::kExposeLabel); e != c->labels.end()) {
      if (auto p = beta::parse_port_list(e->second)) ports = *p;
    } else if (const auto& ex = (*j)["Config"]["ExposedPorts"]; ex.is_object()) {
      for (const auto& [key, v] : ex.items())
        if (key.ends_with("/tcp"))  // "8080/tcp"
          if (auto port =
                  parse_number<std::uint16_t>(std::string_view(key).substr(0, key.size() - 4), "port"))
            ports.push_back(*port);
    }
    std::string svc = c->labels.count(beta::kServiceLabel) ? c->labels.at(beta::kServiceLabel) : c->service;
    if (ip.empty() || ports.empty()) {
      r.detail["skipped"].push_back(fmt::format(
          "{}: {}", svc,
          ip.empty() ? fmt::format("no address on {} (attached to: {})", net->name, fmt::join(attached, ", "))
                     : std::string("exposes no TCP port")));
      continue;
    }
    auto d = policy.check(kProbeService, "wallet", svc, "wallet");
    for (auto port : ports) targets.push_back({svc, fmt::format("{}:{}", ip, port), d.allowed, d.reason});
  }
  if (targets.empty()) {
    r.evidence = "cannot probe: no wallet-plane service has a TCP port on the wallet network";
    return r;
  }
  auto img = ctx.probe_image();
  if (!img) {
    r.evidence = "cannot probe: " + img.error().message;
    return r;
  }
  std::map<std::string, std::string> labels = {
      {"lucid.accept.probe", "wallet"}, {beta::kPlaneLabel, "wallet"}, {beta::kServiceLabel, kProbeService}};
  if (auto scope = beta_scope_label(ctx)) labels[scope->first] = scope->second;
  std::vector<std::string> cmd = img->prefix;
  cmd.insert(cmd.end(), {"tcp-connect", "--timeout-ms", "2000"});
  for (const auto& t : targets) cmd.push_back(t.endpoint);
  ctx.say(fmt::format("wallet: probing {} endpoint(s) from network {}", targets.size(), net->name));
  auto c = engine::ShortLivedContainer::start(
      ctx.docker,
      {fmt::format("lucid-accept-{}-wallet-tcp", ctx.site.cluster), img->tag, cmd, net->id, labels});
  if (!c) {
    r.evidence = "cannot probe: " + c.error().message;
    return r;
  }
  if (auto w = c->wait(std::chrono::seconds(10 + 3 * targets.size())); !w) {
    r.evidence = "cannot probe: " + w.error().message;
    return r;
  }
  auto l = c->logs();
  auto j = l ? nlohmann::json::parse(l->out, nullptr, false) : nlohmann::json();
  if (!l || j.is_discarded() || !j.contains("results") || j["results"].size() != targets.size()) {
    r.evidence = "cannot probe: the probe printed no result";
    return r;
  }
  std::vector<std::string> wrong;
  int refused = 0, allowed = 0;
  r.detail["probes"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    bool connected = j["results"][i].value("connected", false);
    r.detail["probes"].push_back({{"from", std::string(kProbeService) + "@wallet"},
                                  {"to", t.service + "@wallet"},
                                  {"endpoint", t.endpoint},
                                  {"policy_allows", t.expect_allowed},
                                  {"policy_reason", t.reason},
                                  {"connected", connected},
                                  {"error", j["results"][i].value("error", "")}});
    if (connected != t.expect_allowed)
      wrong.push_back(fmt::format("{} ({}) {} although the policy {}", t.service, t.endpoint,
                                  connected ? "accepted a connection" : "refused",
                                  t.expect_allowed ? "allows it" : "denies it"));
    (connected ? allowed : refused)++;
  }
  r.detail["untested"] =
      "allowed pairs (e.g. walletd <-> tron-node) need a caller with that identity; not probed";
  if (wrong.empty()) {
    r.outcome = Outcome::kPass;
    r.evidence = fmt::format("{} endpoint(s) of {} wallet service(s): {} refused, {} allowed, as {} says",
                             targets.size(), wallet.size(), refused, allowed, policy_source);
  } else {
    r.evidence = fmt::format("{} of {} wallet endpoint(s) disagree with {}: {}", wrong.size(), targets.size(),
                             policy_source, fmt::join(wrong, "; "));
  }
  return r;
}

}  // namespace lucid::accept
