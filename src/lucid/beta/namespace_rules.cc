#include "lucid/beta/namespace_rules.h"

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/base/subprocess.h"
#include "lucid/engine/short_lived.h"

namespace lucid::beta {

using namespace std::chrono_literals;

std::string to_string(UdpBanMethod method) {
  switch (method) {
    case UdpBanMethod::kAuto:
      return "auto";
    case UdpBanMethod::kHelperContainer:
      return "container";
    case UdpBanMethod::kNsenter:
      return "nsenter";
    case UdpBanMethod::kOff:
      return "off";
  }
  return "?";
}

Result<UdpBanMethod> parse_udp_ban_method(const std::string& text) {
  for (auto m :
       {UdpBanMethod::kAuto, UdpBanMethod::kHelperContainer, UdpBanMethod::kNsenter, UdpBanMethod::kOff})
    if (text == to_string(m)) return m;
  return fail(ErrorKind::kInvalidArgument,
              fmt::format("UDP ban method '{}' is not one of auto, container, nsenter, off", text));
}

std::string namespace_ruleset(const InboundAdmission& admission) {
  std::string admit;
  if (admission.only_from) {
    // Addresses come from the engine; each is checked to be an IPv4 address before it enters the
    // script, so nothing else can.
    std::vector<std::string> addresses;
    for (const auto& a : *admission.only_from) {
      in_addr parsed{};
      if (::inet_pton(AF_INET, a.c_str(), &parsed) == 1) addresses.push_back(a);
    }
    admit = "    ct state established,related accept\n";
    if (!addresses.empty())
      admit += fmt::format("    ip saddr {{ {} }} accept\n", fmt::join(addresses, ", "));
    // A reset tells a refused TCP caller at once; the rest is dropped.
    admit +=
        "    meta l4proto tcp counter reject with tcp reset\n"
        "    counter drop\n";
  }
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
         "    meta l4proto udp counter drop\n" +
         admit +
         "  }\n"
         "}\n";
}

namespace {

Status apply_with_nsenter(pid_t pid, const std::string& ruleset) {
  if (pid <= 0) return fail(ErrorKind::kInvalidArgument, "container has no pid (not running)");
  ProcessOptions o;
  o.argv = {"nsenter", "-t", std::to_string(pid), "-n", "nft", "-f", "-"};
  o.stdin_bytes = ruleset;
  o.timeout = 10s;
  auto r = run_process(o);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorKind::kIo,
                fmt::format("nft in pid {}'s namespace failed ({}): {} (betad needs root/CAP_NET_ADMIN)", pid,
                            r->exit_code, first_line(r->err)));
  return {};
}

Status apply_with_helper(const engine::DockerClient& docker, const std::string& image,
                         const std::string& container_id, const std::string& ruleset) {
  if (image.empty()) return fail(ErrorKind::kInvalidArgument, "no image for the UDP-ban helper container");
  engine::ContainerSpec spec;
  spec.image = image;
  spec.network = "container:" + container_id;
  spec.user = "0:0";  // nft needs uid 0 with NET_ADMIN: the engine gives a non-root user no capability
  spec.cap_add = {"NET_ADMIN"};
  spec.entrypoint = "/usr/sbin/nft";
  spec.cmd = {ruleset};  // nft parses its arguments as one script, newlines included
  spec.labels = {{kUdpBanHelperLabel, container_id}};
  auto helper = engine::ShortLivedContainer::start(docker, spec);
  if (!helper) return fail(helper.error().kind, "UDP-ban helper: " + helper.error().message);
  auto code = helper->wait(15s);
  if (!code) return fail(code.error().kind, "UDP-ban helper: " + code.error().message);
  if (*code != 0) {
    auto logs = helper->logs();
    return fail(ErrorKind::kIo, fmt::format("UDP-ban helper (nft in the container's namespace) exited {}: {}",
                                            *code, logs ? first_line(logs->err) : logs.error().message));
  }
  return {};
}

}  // namespace

Status apply_namespace_rules(const engine::DockerClient& docker, const UdpBanSettings& settings,
                             const std::string& container_id, pid_t pid, const std::string& ruleset) {
  switch (settings.method) {
    case UdpBanMethod::kHelperContainer:
      return apply_with_helper(docker, settings.helper_image, container_id, ruleset);
    case UdpBanMethod::kNsenter:
      return apply_with_nsenter(pid, ruleset);
    case UdpBanMethod::kAuto:
    case UdpBanMethod::kOff:
      break;
  }
  return fail(ErrorKind::kInvalidArgument,
              fmt::format("UDP ban method {} cannot be applied", to_string(settings.method)));
}

bool stale_udp_ban_helper(const nlohmann::json& entry, std::time_t now) {
  const std::string state = entry.value("State", "");
  if (state == "exited" || state == "dead") return true;
  return state == "created" && now - entry.value("Created", std::int64_t{0}) > 60;
}

void remove_stale_udp_ban_helpers(const engine::DockerClient& docker) {
  nlohmann::json filters = {{"label", {kUdpBanHelperLabel}}, {"status", {"exited", "dead", "created"}}};
  auto list = docker.get_json("/containers/json?all=1&filters=" + engine::DockerClient::filters(filters));
  if (!list) return;
  const auto now = std::time(nullptr);
  for (const auto& c : *list)
    if (const std::string id = c.value("Id", ""); !id.empty() && stale_udp_ban_helper(c, now))
      (void)docker.del("/containers/" + id + "?force=1");
}

std::optional<std::string> own_container_id() {
  std::ifstream in("/proc/self/mountinfo");
  static const std::regex kHostnameMount(R"(/containers/([0-9a-f]{64})/hostname /etc/hostname )");
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, kHostnameMount)) return m[1].str();
  return std::nullopt;
}

}  // namespace lucid::beta
