// privileged/*: no privileged mode, host namespaces, docker socket, cap_add, devices or group_add,
// except exactly what policies/privileged.yaml grants a service.
#include <fmt/format.h>

#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

constexpr const char* kPolicyHint =
    "refused by default; policies/privileged.yaml may grant it to a named service";

bool is_socket(const std::string& path) {
  return path.ends_with("/docker.sock") || path == "docker.sock";
}

void check_namespace(const fleet::Service& s, const std::optional<fleet::LString>& v, const char* key,
                     const Allowance* grant, Sink& sink) {
  if (!v || v->value != "host" || (grant && grant->host_namespaces.contains(key))) return;
  sink.add(v->mark, "privileged/host-namespace",
           fmt::format("service '{}' uses the host's {} ({}: host)", s.name,
                       std::string_view(key) == "network_mode" ? "network" : key, key),
           kPolicyHint);
}

}  // namespace

void check_privileged(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  for (const auto& s : ctx.model.compose->services) {
    const Allowance* grant = ctx.policy.allowance(s.name);
    if (s.privileged && s.privileged->value && !(grant && grant->privileged))
      sink.add(s.privileged->mark, "privileged/privileged", fmt::format("service '{}' is privileged", s.name),
               kPolicyHint);
    check_namespace(s, s.network_mode, "network_mode", grant, sink);
    check_namespace(s, s.pid, "pid", grant, sink);
    check_namespace(s, s.ipc, "ipc", grant, sink);
    if (s.node && s.node->is_mapping()) {
      if (const auto* userns = s.node->find("userns_mode"); userns && userns->is_scalar())
        check_namespace(s, fleet::LString{userns->value, userns->mark}, "userns_mode", grant, sink);
    }
    for (const auto& v : s.volumes) {
      if (!is_socket(v.source) && !is_socket(v.target)) continue;
      bool ok = false;
      if (grant)
        for (const auto& m : grant->mounts)
          ok = ok || (m.source == v.source && m.target == v.target && (!m.read_only || v.read_only));
      if (!ok)
        sink.add(
            v.mark, "privileged/docker-socket",
            fmt::format("service '{}' mounts the docker socket ({})", s.name, v.source),
            "the socket is root on the host; only a service named in policies/privileged.yaml may mount it, "
            "as listed (read-only)");
    }
    for (const auto& c : s.cap_add)
      if (!(grant && grant->cap_add.contains(c.value)))
        sink.add(c.mark, "privileged/cap-add",
                 fmt::format("service '{}' adds capability {}", s.name, c.value), kPolicyHint);
    if (!s.devices.empty() && !(grant && grant->devices))
      sink.add(s.devices.front().mark, "privileged/devices",
               fmt::format("service '{}' maps host devices", s.name), kPolicyHint);
    for (const auto& g : s.group_add)
      if (!(grant && grant->group_add.contains(g.value)))
        sink.add(g.mark, "privileged/group-add", fmt::format("service '{}' adds group {}", s.name, g.value),
                 kPolicyHint);
  }
}

}  // namespace lucid::lint
