// cluster.wallet-isolation: TCP connects on the wallet network from probe containers that carry a
// caller's identity (the com.lucid.service label beta admits by): one labelled as a wallet-plane
// service no ACL link names (accept-probe), and one as each running wallet-plane service, which
// tries every port of every other one. policies/acl.yaml (beta's built-in default when the repo has
// none) says what each caller may reach; the check passes when what connects is exactly what the
// policy allows — the refusals of deny-by-default and the allowed pairs (walletd <-> tron-node).
#include <fmt/format.h>

#include <map>
#include <set>

#include "lucid/accept/checks.h"
#include "lucid/base/labels.h"
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
};

struct WalletConnect {
  std::string caller, endpoint, service;
  bool expect_allowed = false;
  std::string reason;  // the policy's
  bool connected = false;
  std::string error;  // the connect's, when it failed
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
  std::set<std::string> services;
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
    services.insert(svc);
    if (ip.empty() || ports.empty()) {
      r.detail["skipped"].push_back(fmt::format(
          "{}: {}", svc,
          ip.empty() ? fmt::format("no address on {} (attached to: {})", net->name, fmt::join(attached, ", "))
                     : std::string("exposes no TCP port")));
      continue;
    }
    for (auto port : ports) targets.push_back({svc, fmt::format("{}:{}", ip, port)});
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
  // Callers: the unnamed probe first, then each wallet service towards every other one.
  std::vector<std::string> callers = {kProbeService};
  callers.insert(callers.end(), services.begin(), services.end());
  std::vector<WalletConnect> probes;
  for (const auto& caller : callers) {
    std::vector<WalletConnect> mine;
    for (const auto& t : targets) {
      if (t.service == caller) continue;
      auto d = policy.check(caller, "wallet", t.service, "wallet");
      mine.push_back({caller, t.endpoint, t.service, d.allowed, d.reason, false, ""});
    }
    if (mine.empty()) continue;
    std::map<std::string, std::string> labels = {{kAcceptProbeLabel, "wallet"},
                                                 {kAcceptProjectLabel, ctx.site.project},
                                                 {beta::kPlaneLabel, "wallet"},
                                                 {beta::kServiceLabel, caller}};
    if (auto scope = beta_scope_label(ctx)) labels[scope->first] = scope->second;
    std::vector<std::string> cmd = img->prefix;
    // A caller with a real service's identity is a new container to beta: it waits for beta to
    // admit it where that service is admitted, as a labelled UDP sender waits for its ban.
    const auto delay = caller == kProbeService ? std::chrono::milliseconds(0) : ctx.settings.ban_grace;
    cmd.insert(cmd.end(),
               {"tcp-connect", "--timeout-ms", "2000", "--delay-ms", std::to_string(delay.count())});
    for (const auto& p : mine) cmd.push_back(p.endpoint);
    ctx.say(
        fmt::format("wallet: probing {} endpoint(s) as {} from network {}", mine.size(), caller, net->name));
    auto c = engine::ShortLivedContainer::start(
        ctx.docker, {fmt::format("lucid-accept-{}-wallet-tcp-{}", ctx.site.cluster, probes.size()), img->tag,
                     cmd, net->id, labels});
    if (!c) {
      r.evidence = "cannot probe: " + c.error().message;
      return r;
    }
    const auto limit =
        std::chrono::duration_cast<std::chrono::seconds>(delay) + std::chrono::seconds(10 + 3 * mine.size());
    if (auto w = c->wait(limit); !w) {
      r.evidence = "cannot probe: " + w.error().message;
      return r;
    }
    auto l = c->logs();
    auto j = l ? nlohmann::json::parse(l->out, nullptr, false) : nlohmann::json();
    if (!l || j.is_discarded() || !j.contains("results") || j["results"].size() != mine.size()) {
      r.evidence = fmt::format("cannot probe: the probe as {} printed no result", caller);
      return r;
    }
    for (std::size_t i = 0; i < mine.size(); ++i) {
      mine[i].connected = j["results"][i].value("connected", false);
      mine[i].error = j["results"][i].value("error", "");
    }
    probes.insert(probes.end(), mine.begin(), mine.end());
  }
  std::vector<std::string> wrong;
  int refused = 0, allowed = 0;
  r.detail["probes"] = nlohmann::ordered_json::array();
  for (const auto& p : probes) {
    r.detail["probes"].push_back({{"from", p.caller + "@wallet"},
                                  {"to", p.service + "@wallet"},
                                  {"endpoint", p.endpoint},
                                  {"policy_allows", p.expect_allowed},
                                  {"policy_reason", p.reason},
                                  {"connected", p.connected},
                                  {"error", p.error}});
    if (p.connected != p.expect_allowed)
      wrong.push_back(fmt::format("{} -> {} ({}) {} although the policy {}", p.caller, p.service, p.endpoint,
                                  p.connected ? "connected" : "was refused",
                                  p.expect_allowed ? "allows it" : "denies it"));
    (p.connected ? allowed : refused)++;
  }
  if (wrong.empty()) {
    r.outcome = Outcome::kPass;
    r.evidence = fmt::format(
        "{} connect(s) from {} caller(s) to {} wallet service(s): {} refused, {} allowed, as {} says",
        probes.size(), callers.size(), services.size(), refused, allowed, policy_source);
  } else {
    r.evidence = fmt::format("{} of {} connect(s) disagree with {}: {}", wrong.size(), probes.size(),
                             policy_source, fmt::join(wrong, "; "));
  }
  return r;
}

}  // namespace lucid::accept
