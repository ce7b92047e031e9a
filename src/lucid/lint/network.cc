// net/*: TCP only (no UDP/QUIC port, long-syntax protocol or expose entry) and no host-published ports.
#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/text.h"
#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {}  // namespace

void check_network(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  constexpr const char* kHint = "TCP only: all cross-cluster traffic rides Tor, which carries no UDP/QUIC";
  for (const auto& s : ctx.model.compose->services) {
    for (const auto& p : s.ports) {
      std::string proto = lower(p.protocol);
      if (proto != "tcp")
        sink.add(p.mark, "net/udp",
                 fmt::format("service '{}' publishes port {} over {}", s.name, p.target, proto), kHint);
      sink.add(p.mark, "net/host-ports",
               fmt::format("service '{}' publishes port {} on the host", s.name, p.target),
               "use `expose:` and com.lucid.expose; beta publishes ports on the plane's onion");
    }
    for (const auto& e : s.expose) {
      auto slash = e.value.find('/');
      if (slash == std::string::npos) continue;
      std::string proto = lower(e.value.substr(slash + 1));
      if (proto != "tcp")
        sink.add(e.mark, "net/udp", fmt::format("service '{}' exposes {}", s.name, e.value), kHint);
    }
  }
}

}  // namespace lucid::lint
