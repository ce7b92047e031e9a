// planes/*: plane networks are internal, a service joins only its own plane's network, nothing but
// policy-named services bridges planes, and depends_on/links/ACL links respect planes and wallet ACLs.
#include <fmt/format.h>

#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

void check_networks_defined(const Context& ctx, Sink& sink) {
  const auto& cf = *ctx.model.compose;
  for (const auto& plane : ctx.policy.planes) {
    const fleet::NetworkDef* def = nullptr;
    for (const auto& n : cf.networks)
      if (n.name == plane) def = &n;
    if (!def)
      sink.add(cf.root ? cf.root->mark : yaml::Mark{}, "planes/internal",
               fmt::format("plane network '{}' is not defined under networks:", plane),
               fmt::format("add `{}: {{internal: true}}` under the top-level networks:", plane));
    else if (!def->internal)
      sink.add(def->mark, "planes/internal", fmt::format("plane network '{}' is not internal", plane),
               "set `internal: true`: services reach other sites only through beta's onions");
  }
}

void check_membership(const Context& ctx, const fleet::Service& s, Sink& sink) {
  std::string plane = ctx.plane(s.name);
  if (plane.empty()) return;  // labels/* reports the missing or invalid plane label
  const Allowance* grant = ctx.policy.allowance(s.name);
  auto granted = [&](const std::string& n) { return grant && grant->networks.contains(n); };
  if (s.network_mode) {
    if (s.network_mode->value.starts_with("service:") || s.network_mode->value.starts_with("container:"))
      sink.add(s.network_mode->mark, "planes/network",
               fmt::format("service '{}' shares another container's network namespace ('{}')", s.name,
                           s.network_mode->value),
               fmt::format("join the '{}' network instead", plane));
    return;  // host mode: privileged/host-namespace
  }
  if (s.networks.empty())
    sink.add(
        s.mark, "planes/network",
        fmt::format("service '{}' joins only the default network, not its plane network '{}'", s.name, plane),
        fmt::format("add `networks: [{}]`", plane));
  std::vector<const fleet::LString*> planes_joined;
  for (const auto& n : s.networks) {
    bool is_plane = ctx.policy.planes.contains(n.value);
    if (is_plane) planes_joined.push_back(&n);
    if (n.value == plane || granted(n.value)) continue;
    sink.add(n.mark, "planes/network",
             is_plane
                 ? fmt::format("service '{}' (plane {}) joins the '{}' plane network", s.name, plane, n.value)
                 : fmt::format("service '{}' (plane {}) joins network '{}', which is not its plane's", s.name,
                               plane, n.value),
             fmt::format("join only '{}'; other planes are reached through beta (policies/acl.yaml)", plane));
  }
  if (planes_joined.size() < 2) return;
  for (const auto* n : planes_joined)
    if (!granted(n->value)) {
      std::string names;
      for (const auto* j : planes_joined) names += (names.empty() ? "" : ", ") + j->value;
      sink.add(
          n->mark, "planes/bridge", fmt::format("service '{}' bridges planes {}", s.name, names),
          "one plane network per service; only services named in policies/privileged.yaml may join more");
      return;
    }
}

void check_edge(const Context& ctx, const fleet::Service& s, const fleet::LString& target, const char* how,
                Sink& sink) {
  const std::string from = ctx.plane(s.name), to = ctx.plane(target.value);
  if (from.empty() || to.empty() || !ctx.service(target.value)) return;
  bool always = false;
  for (const auto& a : ctx.policy.always) always = always || a == target.value;
  if (always) return;  // beta is on every plane
  if (from != to) {
    sink.add(target.mark, "planes/depends",
             fmt::format("service '{}' (plane {}) {} '{}' (plane {})", s.name, from, how, target.value, to),
             "cross-plane traffic is denied; drop the dependency or move one service");
    return;
  }
  if (ctx.policy.deny_planes.contains(from) && !ctx.policy.allowed_pairs.contains({s.name, target.value}))
    sink.add(
        target.mark, "planes/wallet-acl",
        fmt::format("plane '{}' is deny-by-default and no ACL entry allows {} -> {}", from, s.name,
                    target.value),
        fmt::format("add an allow entry with a reason under planes.{}.allow in policies/acl.yaml, or drop it",
                    from));
}

void check_acl_links(const Context& ctx, Sink& sink) {
  for (const auto& l : ctx.policy.links) {
    bool ok = true;
    for (const auto* end : {&l.from, &l.to}) {
      if (!ctx.service(end->value)) {
        sink.add(end->mark, "planes/acl-links", fmt::format("link end '{}' is not a service", end->value),
                 "name a service of the compose file");
        ok = false;
      } else if (ctx.plane(end->value) != l.plane) {
        sink.add(end->mark, "planes/acl-links",
                 fmt::format("link {} -> {} is on plane '{}' but '{}' is on plane '{}'", l.from.value,
                             l.to.value, l.plane, end->value, ctx.plane(end->value)),
                 "links stay inside one plane; fix the link's plane or the service's label");
        ok = false;
      }
    }
    if (!ok || !ctx.policy.deny_planes.contains(l.plane)) continue;
    bool fwd = ctx.policy.allowed_pairs.contains({l.from.value, l.to.value});
    bool back = !l.bidirectional || ctx.policy.allowed_pairs.contains({l.to.value, l.from.value});
    if (!fwd || !back)
      sink.add(l.from.mark, "planes/acl-links",
               fmt::format("link {} {} {} on deny-by-default plane '{}' has no matching allow entry",
                           l.from.value, l.bidirectional ? "<->" : "->", l.to.value, l.plane),
               fmt::format("add it under planes.{}.allow (with a reason) or remove the link", l.plane));
  }
}

}  // namespace

void check_planes(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  check_networks_defined(ctx, sink);
  for (const auto& s : ctx.model.compose->services) {
    check_membership(ctx, s, sink);
    for (const auto& d : s.depends_on) check_edge(ctx, s, d.service, "depends on", sink);
    for (const auto& l : s.links)
      check_edge(ctx, s, fleet::LString{link_target(l.value), l.mark}, "links to", sink);
  }
  check_acl_links(ctx, sink);
}

}  // namespace lucid::lint
