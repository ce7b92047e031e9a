// profiles/*: every service in a known profile, the `always` services (beta) in every profile,
// and each profile's services inside its allow-list (policies/profiles.yaml).
#include <fmt/format.h>

#include "lucid/lint/checks.h"

namespace lucid::lint {

void check_profiles(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  const Policy& pol = ctx.policy;
  for (const auto& s : ctx.model.compose->services) {
    bool in_known = false;
    for (const auto& p : s.profiles) {
      if (!pol.known_profile(p.value)) {
        sink.add(p.mark, "profiles/unknown",
                 fmt::format("service '{}': profile '{}' is not in policies/profiles.yaml", s.name, p.value),
                 "use a profile defined there, or define it (with its allow-list) first");
        continue;
      }
      in_known = true;
      if (pol.have_allow_lists && !pol.profiles.at(p.value).contains(s.name))
        sink.add(
            p.mark, "profiles/allow-list",
            fmt::format("service '{}' is not in the allow-list of profile '{}'", s.name, p.value),
            fmt::format("add it under profiles.{}.services in policies/profiles.yaml, or drop the profile",
                        p.value));
    }
    if (!in_known)
      sink.add(s.mark, "profiles/missing", fmt::format("service '{}' is in no known profile", s.name),
               "add `profiles: [<profile>]`; a service without one would run on every cluster");
  }
  for (const auto& name : pol.have_allow_lists ? pol.always : std::vector<std::string>{}) {
    const fleet::Service* s = ctx.service(name);
    if (!s) {
      sink.add_file(ctx.model.compose->path, "profiles/beta",
                    fmt::format("service '{}' (policy `always`) is not defined", name),
                    "every cluster runs it; define it in the compose file");
      continue;
    }
    for (const auto& [profile, allowed] : pol.profiles) {
      bool found = false;
      for (const auto& p : s->profiles) found = found || p.value == profile;
      if (!found)
        sink.add(s->mark, "profiles/beta", fmt::format("service '{}' is not in profile '{}'", name, profile),
                 fmt::format("add '{}' to {}'s profiles: it runs in every profile", profile, name));
    }
  }
  // clusters.yaml names profiles too.
  for (const auto& c : ctx.model.clusters)
    for (const auto& p : c.profiles)
      if (!pol.known_profile(p.value))
        sink.add(
            p.mark, "profiles/unknown",
            fmt::format("cluster '{}': profile '{}' is not in policies/profiles.yaml", c.id.value, p.value),
            "use a profile defined there");
}

}  // namespace lucid::lint
