// labels/*: com.lucid.plane, com.lucid.service and com.lucid.expose on every service.
#include <charconv>

#include <fmt/format.h>

#include "lucid/base/labels.h"
#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

bool is_tcp_port(const std::string& p) {
  int v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  return ec == std::errc() && end == p.data() + p.size() && v >= 1 && v <= 65535;
}

std::string expose_port(const std::string& entry) {
  auto slash = entry.find('/');
  return slash != std::string::npos && entry.substr(slash + 1) == "tcp" ? entry.substr(0, slash) : entry;
}

}  // namespace

void check_labels(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  std::string planes;
  for (const auto& p : ctx.policy.planes) planes += (planes.empty() ? "" : ", ") + p;
  for (const auto& s : ctx.model.compose->services) {
    for (const char* key : {kPlaneLabel, kLucidServiceLabel, kExposeLabel})
      if (!label(s, key))
        sink.add(s.mark, "labels/missing", fmt::format("service '{}' has no label {}", s.name, key),
                 fmt::format("add `{}:` under labels (see docs/lint-rules.md)", key));
    if (const auto* plane = label(s, kPlaneLabel); plane && !ctx.policy.planes.contains(plane->value))
      sink.add(plane->mark, "labels/invalid",
               fmt::format("service '{}': com.lucid.plane '{}' is not a plane", s.name, plane->value),
               fmt::format("use one of: {}", planes));
    if (const auto* svc = label(s, kLucidServiceLabel); svc && svc->value != s.name)
      sink.add(svc->mark, "labels/invalid",
               fmt::format("service '{}': com.lucid.service is '{}'", s.name, svc->value),
               "com.lucid.service must be the service's own name");
    const auto* expose = label(s, kExposeLabel);
    if (!expose) continue;
    for (const auto& port : split_list(expose->value)) {
      if (!is_tcp_port(port)) {
        sink.add(
            expose->mark, "labels/invalid",
            fmt::format("service '{}': com.lucid.expose entry '{}' is not a TCP port number", s.name, port),
            "a comma-separated list of port numbers 1-65535 (TCP only)");
        continue;
      }
      bool listed = false;
      for (const auto& e : s.expose) listed = listed || expose_port(e.value) == port;
      if (!listed)
        sink.add(
            expose->mark, "labels/expose-mismatch",
            fmt::format("service '{}': port {} is in com.lucid.expose but not under expose:", s.name, port),
            fmt::format("add \"{}\" to the service's expose: list", port));
    }
  }
}

}  // namespace lucid::lint
