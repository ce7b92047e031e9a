// hardening/* and health/*: non-root user, read-only root filesystem, cap_drop ALL,
// no-new-privileges, and an exec-form healthcheck (images have no shell).
#include <fmt/format.h>

#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

bool is_root(const std::string& user) {
  std::string name = user.substr(0, user.find(':'));
  return name == "root" || name == "0" || name.empty();
}

void check_health(const fleet::Service& s, Sink& sink) {
  constexpr const char* kHint = R"(use `test: ["CMD", "/usr/local/bin/<binary>", "health"]`)";
  if (!s.healthcheck) {
    sink.add(s.mark, "health/exec-form", fmt::format("service '{}' has no healthcheck", s.name), kHint);
    return;
  }
  const auto& h = *s.healthcheck;
  if (h.disable || (!h.test.empty() && h.test[0].value == "NONE")) {
    sink.add(h.mark, "health/exec-form", fmt::format("service '{}' disables its healthcheck", s.name), kHint);
  } else if (h.test.empty()) {
    sink.add(h.mark, "health/exec-form", fmt::format("service '{}': healthcheck has no test", s.name), kHint);
  } else if (h.string_form || h.test[0].value == "CMD-SHELL") {
    sink.add(h.test[0].mark, "health/exec-form",
             fmt::format("service '{}': shell-form healthcheck (images have no shell)", s.name), kHint);
  } else if (h.test[0].value != "CMD" || h.test.size() < 2) {
    sink.add(h.test[0].mark, "health/exec-form",
             fmt::format("service '{}': healthcheck test must start with \"CMD\" and a program", s.name),
             kHint);
  }
}

}  // namespace

void check_hardening(const Context& ctx, Sink& sink) {
  if (!ctx.model.compose) return;
  for (const auto& s : ctx.model.compose->services) {
    const Allowance* grant = ctx.policy.allowance(s.name);
    if (!s.user)
      sink.add(s.mark, "hardening/user",
               fmt::format("service '{}' has no user: (runs as the image's user)", s.name),
               "set a non-root `user: \"10001:10001\"`");
    else if (is_root(s.user->value) && !(grant && grant->users.contains(s.user->value)))
      sink.add(s.user->mark, "hardening/user", fmt::format("service '{}' runs as root", s.name),
               "use a non-root uid:gid; policies/privileged.yaml may grant root with a reason");
    if (!s.read_only || !s.read_only->value)
      sink.add(s.read_only ? s.read_only->mark : s.mark, "hardening/read-only",
               fmt::format("service '{}' has a writable root filesystem", s.name),
               "set `read_only: true`; writable paths go to tmpfs or named volumes");
    bool all = false;
    for (const auto& c : s.cap_drop) all = all || c.value == "ALL" || c.value == "all";
    if (!all)
      sink.add(s.mark, "hardening/cap-drop",
               fmt::format("service '{}' does not drop all capabilities", s.name), "add `cap_drop: [ALL]`");
    bool nnp = false;
    for (const auto& o : s.security_opt)
      nnp = nnp || o.value == "no-new-privileges:true" || o.value == "no-new-privileges=true" ||
            o.value == "no-new-privileges";
    if (!nnp)
      sink.add(s.mark, "hardening/no-new-privileges",
               fmt::format("service '{}' lacks no-new-privileges", s.name),
               "add `security_opt: [\"no-new-privileges:true\"]`");
    check_health(s, sink);
  }
}

}  // namespace lucid::lint
