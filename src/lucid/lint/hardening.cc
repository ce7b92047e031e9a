// hardening/* and health/*: non-root user, read-only root filesystem, cap_drop ALL,
// no-new-privileges, tmpfs mounts the user owns, and an exec-form healthcheck (images have no shell).
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

// Docker 20.10 mounts a tmpfs again on `docker restart` without its mode (root-owned 0755), so a
// non-root service that writes to it works until its first restart. A tmpfs owned by the service's
// uid (the uid= mount option) stays writable: the owner survives where the mode does not.
void check_tmpfs_owner(const fleet::Service& s, Sink& sink) {
  if (!s.user || is_root(s.user->value)) return;
  const std::string uid = s.user->value.substr(0, s.user->value.find(':'));
  if (uid.empty() || uid.find_first_not_of("0123456789") != std::string::npos) return;  // a name: unknown uid
  const std::string gid_part =
      s.user->value.find(':') == std::string::npos ? "" : s.user->value.substr(s.user->value.find(':') + 1);
  const std::string owner = gid_part.empty() ? "uid=" + uid : fmt::format("uid={},gid={}", uid, gid_part);
  for (const auto& t : s.tmpfs) {
    const auto colon = t.value.find(':');
    const std::string path = t.value.substr(0, colon);
    bool owned = false;
    if (colon != std::string::npos)
      for (const auto& option : split_list(std::string_view(t.value).substr(colon + 1)))
        owned = owned || option == "uid=" + uid;
    if (!owned)
      sink.add(
          t.mark, "hardening/tmpfs-owner",
          fmt::format("service '{}': tmpfs {} is not owned by its user {} (no uid={}); after `docker "
                      "restart` Docker 20.10 mounts it root-owned 0755 and the service cannot write there",
                      s.name, path, uid, uid),
          fmt::format("add `{}` to its options, e.g. \"{}:rw,noexec,nosuid,nodev,size=16m,{}\"", owner, path,
                      owner));
  }
  for (const auto& v : s.volumes)
    if (v.type == "tmpfs")
      sink.add(v.mark, "hardening/tmpfs-owner",
               fmt::format("service '{}': tmpfs volume {} cannot name an owner (Compose has no uid for it); "
                           "after `docker restart` it is root-owned 0755",
                           s.name, v.target),
               fmt::format("use the service's `tmpfs:` list instead: \"{}:rw,noexec,nosuid,nodev,{}\"",
                           v.target, owner));
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
    check_tmpfs_owner(s, sink);
    check_health(s, sink);
  }
}

}  // namespace lucid::lint
