#include "lucid/beta/udp_ban.h"

#include <fmt/format.h>

#include "lucid/base/subprocess.h"

namespace lucid::beta {

using namespace std::chrono_literals;

std::string udp_ban_ruleset() {
  return "table inet lucid_beta {}\n"
         "delete table inet lucid_beta\n"
         "table inet lucid_beta {\n"
         "  chain output {\n"
         "    type filter hook output priority 0; policy accept;\n"
         "    oifname \"lo\" accept\n"
         "    meta l4proto udp counter drop\n"
         "  }\n"
         "  chain input {\n"
         "    type filter hook input priority 0; policy accept;\n"
         "    iifname \"lo\" accept\n"
         "    meta l4proto udp counter drop\n"
         "  }\n"
         "}\n";
}

Status apply_udp_ban(pid_t pid) {
  if (pid <= 0) return fail(ErrorKind::kInvalidArgument, "container has no pid (not running)");
  ProcessOptions o;
  o.argv = {"nsenter", "-t", std::to_string(pid), "-n", "nft", "-f", "-"};
  o.stdin_bytes = udp_ban_ruleset();
  o.timeout = 10s;
  auto r = run_process(o);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kIo,
                fmt::format("nft in pid {}'s namespace failed ({}): {} (betad needs root/CAP_NET_ADMIN)", pid,
                            r->exit_code, first_line(r->err)));
  return {};
}

Result<bool> udp_ban_present(pid_t pid) {
  ProcessOptions o;
  o.argv = {"nsenter", "-t", std::to_string(pid), "-n", "nft", "list", "table", "inet", "lucid_beta"};
  o.timeout = 10s;
  auto r = run_process(o);
  if (!r) return std::unexpected(r.error());
  return r->exit_code == 0 && r->out.find("udp") != std::string::npos;
}

}  // namespace lucid::beta
