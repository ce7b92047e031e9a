// The rules beta keeps in each labelled container's network namespace: one nftables table,
// `inet lucid_beta`, that
//  - drops UDP except on loopback (SPEC-4: no QUIC/UDP; Docker's embedded DNS at 127.0.0.11 keeps
//    working), and
//  - on a deny-by-default plane (policies/acl.yaml), admits new inbound connections only from beta
//    and from the plane's containers whose service the ACL allows to call this one: the ACL acts
//    on connections, not only at resolution. Replies to the container's own connections pass.
//
// Two ways into the namespace (docs/operations.md "beta", "The UDP ban"):
//  - a helper container (beta deployed in its own container): a short-lived container of beta's
//    image shares the target's network namespace (NetworkMode container:<id>), runs as uid 0 with
//    NET_ADMIN as its only capability, read-only, and runs `nft <ruleset>`. betad itself holds no
//    capability and needs no view of the host's pids: only the engine socket it already has.
//  - nsenter (betad on a host, as root): `nsenter -t <pid> -n nft -f -`.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/engine/docker_client.h"

namespace lucid::beta {

enum class UdpBanMethod {
  kAuto,             // helper container when betad runs in a container, else nsenter
  kHelperContainer,  // needs the image to run (beta's own by default)
  kNsenter,          // needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN) and the host's pid namespace
  kOff,              // tests only: nothing is banned and nothing is withdrawn for it
};
std::string to_string(UdpBanMethod method);
// "auto", "container", "nsenter", "off"; kInvalidArgument naming the choices otherwise.
Result<UdpBanMethod> parse_udp_ban_method(const std::string& text);

struct UdpBanSettings {
  UdpBanMethod method = UdpBanMethod::kAuto;
  std::string helper_image;  // kHelperContainer: an image holding /usr/sbin/nft
};

// Who may open connections to a container. nullopt: anyone that can reach it (its plane allows
// same-plane traffic; Docker keeps other planes' networks apart). A list: only these IPv4
// addresses (beta's on the plane, and the callers the ACL allows); every other new connection is
// refused (TCP reset, anything else dropped).
struct InboundAdmission {
  std::optional<std::vector<std::string>> only_from;
  bool operator==(const InboundAdmission&) const = default;
};

// The nft script: replaces table `inet lucid_beta` atomically (idempotent; re-run after restarts
// and whenever the admitted addresses change). Addresses that are not dotted IPv4 are left out.
std::string namespace_ruleset(const InboundAdmission& admission);

// Applies `ruleset` in the namespace of the running container `container_id` (whose init process
// is `pid`, for nsenter) the way `settings` says (never kAuto or kOff). The error names what
// failed: the helper's start or exit code and first line of stderr, or nft's.
Status apply_namespace_rules(const engine::DockerClient& docker, const UdpBanSettings& settings,
                             const std::string& container_id, pid_t pid, const std::string& ruleset);

// Removes helper containers an interrupted betad left behind (labelled kUdpBanHelperLabel and
// stale_udp_ban_helper).
void remove_stale_udp_ban_helpers(const engine::DockerClient& docker);
// Whether a helper (an entry of GET /containers/json) is left over rather than at work for another
// betad on this engine: exited or dead, or created and never started for more than a minute (a
// betad killed between create and start leaves one that never runs).
bool stale_udp_ban_helper(const nlohmann::json& entry, std::time_t now);

// The label every helper carries: its value is the id of the container it bans.
inline constexpr const char* kUdpBanHelperLabel = "lucid.beta.udp-ban";

// The id of the container this process runs in (from /proc/self/mountinfo: the engine bind-mounts
// /etc/hostname and /etc/resolv.conf from /var/lib/docker/containers/<id>/), or nullopt on a host.
std::optional<std::string> own_container_id();

}  // namespace lucid::beta
