// deps/*: depends_on and links name defined services, depends_on has no cycle (reported with its
// path), and a dependency is enabled in every profile its dependent runs in.
#include <unordered_map>

#include <fmt/format.h>

#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

bool has_profile(const fleet::Service& s, const std::string& p) {
  for (const auto& x : s.profiles)
    if (x.value == p) return true;
  return false;
}

// Iterative three-colour DFS: each back edge closes one cycle, reported at that edge.
void check_cycles(const Context& ctx, Sink& sink) {
  const auto& services = ctx.model.compose->services;
  std::unordered_map<const fleet::Service*, int> colour;  // 0 white, 1 on stack, 2 done
  colour.reserve(services.size());
  struct Frame {
    const fleet::Service* s;
    std::size_t next;
  };
  std::vector<Frame> stack;
  for (const auto& root : services) {
    if (colour[&root] != 0) continue;
    stack.push_back({&root, 0});
    colour[&root] = 1;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.s->depends_on.size()) {
        colour[f.s] = 2;
        stack.pop_back();
        continue;
      }
      const auto& edge = f.s->depends_on[f.next++].service;
      const fleet::Service* t = ctx.service(edge.value);
      if (!t) continue;
      int& c = colour[t];
      if (c == 0) {
        c = 1;
        stack.push_back({t, 0});
      } else if (c == 1) {
        std::string path;
        bool on = false;
        for (const auto& fr : stack) {
          on = on || fr.s == t;
          if (on) path += fr.s->name + " -> ";
        }
        path += t->name;
        sink.add(edge.mark, "deps/cycle", fmt::format("depends_on cycle: {}", path),
                 "remove one dependency of the cycle; Compose cannot order these services");
      }
    }
  }
}

}  // namespace

void check_deps(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  for (const auto& s : ctx.model.compose->services) {
    std::vector<fleet::LString> targets;
    for (const auto& d : s.depends_on) targets.push_back(d.service);
    for (const auto& l : s.links) targets.push_back({link_target(l.value), l.mark});
    for (const auto& t : targets) {
      const fleet::Service* target = ctx.service(t.value);
      if (!target) {
        sink.add(t.mark, "deps/undefined",
                 fmt::format("service '{}' depends on '{}', which is not defined", s.name, t.value),
                 "define that service or remove the dependency");
        continue;
      }
      for (const auto& p : s.profiles)
        if (ctx.policy.known_profile(p.value) && !has_profile(*target, p.value)) {
          sink.add(t.mark, "deps/profile",
                   fmt::format("service '{}' (profile {}) depends on '{}', which is not in that profile",
                               s.name, p.value, t.value),
                   "Compose refuses to start a profile whose services depend on a disabled one; link through "
                   "beta (policies/acl.yaml links) instead");
          break;
        }
    }
  }
  check_cycles(ctx, sink);
}

}  // namespace lucid::lint
