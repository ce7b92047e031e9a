// betactl: asks betad (loopback admin listener) for health, onions and resolutions; evaluates
// ACLs. Exit 0 = ok, 1 = unhealthy / denied / not resolvable, 2 = usage or betad unreachable.
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lucid/beta/acl.h"
#include "lucid/beta/admin_client.h"
#include "lucid/fleet/model.h"

namespace {

int show(const lucid::Result<lucid::beta::AdminResponse>& r, bool ok_needs_200 = true) {
  if (!r) {
    fmt::print(stderr, "betactl: {}\n", r.error().message);
    return 2;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::cout << (j.is_discarded() ? r->body : j.dump(2) + "\n");
  return (!ok_needs_200 || r->status == 200) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"betactl — query the beta sidecar"};
  app.require_subcommand(1);
  const char* env = std::getenv("BETA_ADMIN");
  std::string admin = env && *env ? env : "127.0.0.1:9105";
  app.add_option("--admin", admin, "betad admin address (env BETA_ADMIN)");
  int code = 0;

  auto* health = app.add_subcommand("health",
                                    "exit 0 only when tor answers, every plane is published, labels are in "
                                    "sync and every labelled container is UDP-banned");
  bool health_json = false;
  health->add_flag("--json", health_json, "print betad's health report (JSON) instead of one line");
  health->footer(
      "Without --json, one line: `healthy: ...` or `unhealthy: <problem>; <problem>`. That line is what\n"
      "the container's healthcheck log, `docker inspect` and the reconciler's report show.");
  health->callback([&] {
    auto r = lucid::beta::admin_get(admin, "/v1/health");
    if (health_json || !r) {
      code = show(r);
      return;
    }
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    std::vector<std::string> problems, planes;
    if (j.is_object() && j["problems"].is_array())
      for (const auto& p : j["problems"])
        if (p.is_string()) problems.push_back(p.get<std::string>());
    if (j.is_object() && j["planes"].is_object())
      for (const auto& [plane, state] : j["planes"].items()) planes.push_back(plane);
    if (r->status == 200)
      fmt::print("healthy: tor answers; published: {}\n", fmt::join(planes, ", "));
    else
      fmt::print("unhealthy: {}\n", problems.empty() ? fmt::format("betad answered {}", r->status)
                                                     : fmt::format("{}", fmt::join(problems, "; ")));
    code = r->status == 200 ? 0 : 1;
  });
  auto* onions = app.add_subcommand("onions", "the onion of each plane and its published ports");
  bool pins = false;
  onions->add_flag(
      "--pins", pins,
      "print this cluster's pins instead, for its clusters/<id>/.env in the config repo: per plane "
      "BETA_ONION_<PLANE>=<address>.onion and BETA_CLIENT_<PLANE>=<client authorization key>");
  onions->footer(
      "Other clusters' betas relay callers of a plane to the addresses a cluster pins in its .env, and\n"
      "a plane's onion is readable only by the client keys other clusters pin for it (docs/operations.md\n"
      "\"Reaching other sites\"); `betactl onions --pins >> clusters/<id>/.env` on the site, then commit\n"
      "and sign, publishes them.");
  onions->callback([&] {
    auto r = lucid::beta::admin_get(admin, "/v1/onions");
    if (!pins || !r || r->status != 200) {
      code = show(r);
      return;
    }
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j["onions"].is_array()) {
      fmt::print(stderr, "betactl: betad's /v1/onions is not the expected JSON\n");
      code = 2;
      return;
    }
    for (const auto& o : j["onions"])
      if (o.is_object() && o["plane"].is_string() && o["address"].is_string() &&
          o["client_auth_key"].is_string()) {
        const auto plane = o["plane"].get<std::string>();
        fmt::print("{}={}\n{}={}\n", lucid::fleet::onion_pin_key(plane), o["address"].get<std::string>(),
                   lucid::fleet::client_pin_key(plane), o["client_auth_key"].get<std::string>());
      }
  });
  std::string target;
  auto* resolve = app.add_subcommand("resolve", "resolve SERVICE@PLANE (as the operator)");
  resolve->add_option("target", target, "SERVICE@PLANE")->required();
  resolve->callback([&] {
    if (!lucid::beta::split_service_at_plane(target)) {
      fmt::print(stderr, "betactl: expected SERVICE@PLANE\n");
      code = 2;
      return;
    }
    code = show(lucid::beta::admin_get(admin, "/v1/resolve/" + target));
  });
  auto* acl = app.add_subcommand("acl", "ACL checks");
  acl->require_subcommand(1);
  std::string from, to, policy;
  auto* check = acl->add_subcommand("check", "may FROM (service@plane) reach TO (service@plane)?");
  check->add_option("from", from, "SERVICE@PLANE")->required();
  check->add_option("to", to, "SERVICE@PLANE")->required();
  check->add_option("--policy", policy, "evaluate this acl.yaml locally instead of asking betad");
  check->callback([&] {
    auto f = lucid::beta::split_service_at_plane(from);
    auto t = lucid::beta::split_service_at_plane(to);
    if (!f || !t) {
      fmt::print(stderr, "betactl: FROM and TO must be SERVICE@PLANE\n");
      code = 2;
      return;
    }
    if (!policy.empty()) {
      auto p = lucid::beta::AclPolicy::load(policy);
      if (!p) {
        fmt::print(stderr, "betactl: {}\n", p.error().message);
        code = 2;
        return;
      }
      auto d = p->check(f->first, f->second, t->first, t->second);
      std::cout << nlohmann::json({{"allowed", d.allowed}, {"reason", d.reason}}).dump(2) << "\n";
      code = d.allowed ? 0 : 1;
      return;
    }
    auto r = lucid::beta::admin_get(admin, "/v1/acl/check?from=" + from + "&to=" + to);
    code = show(r);
    if (code == 0) {
      auto j = nlohmann::json::parse(r->body, nullptr, false);
      code = (!j.is_discarded() && j.value("allowed", false)) ? 0 : 1;
    }
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int c = app.exit(e);
    return c == 0 ? 0 : 2;
  }
  return code;
}
