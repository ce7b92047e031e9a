// The no-QUIC/UDP rule in a container's network namespace: an nftables table that drops UDP
// except on loopback (so Docker's embedded DNS at 127.0.0.11 keeps working). Needs CAP_NET_ADMIN.
#pragma once

#include <sys/types.h>
#include <string>

#include "lucid/base/result.h"

namespace lucid::beta {

// The nft script: replaces table `inet lucid_beta` atomically (idempotent; re-run after restarts).
std::string udp_ban_ruleset();
// Runs `nsenter -t <pid> -n nft -f -` with the ruleset on stdin.
Status apply_udp_ban(pid_t container_pid);
// True when the namespace has the table (`nft list table inet lucid_beta`).
Result<bool> udp_ban_present(pid_t container_pid);

}  // namespace lucid::beta
