// betactl: asks betad (loopback admin listener) for health, onions and resolutions; evaluates
// ACLs. Exit 0 = ok, 1 = unhealthy / denied / not resolvable, 2 = usage or betad unreachable.
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lucid/beta/acl.h"
#include "lucid/beta/admin_client.h"

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

  auto* health =
      app.add_subcommand("health", "exit 0 only when tor answers, every plane is published, labels in sync");
  health->callback([&] { code = show(lucid::beta::admin_get(admin, "/v1/health")); });
  auto* onions = app.add_subcommand("onions", "the onion of each plane and its published ports");
  onions->callback([&] { code = show(lucid::beta::admin_get(admin, "/v1/onions")); });
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
