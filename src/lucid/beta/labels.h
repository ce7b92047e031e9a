// The com.lucid.* labels of a container: which plane it lives on, its service name and the TCP
// ports beta publishes on that plane's onion. Malformed labels are an error naming the label.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lucid/base/labels.h"
#include "lucid/base/result.h"

namespace lucid::beta {

// The names themselves are in base/labels.h, with every other label Lucid uses.
inline constexpr const char* kPlaneLabel = lucid::kPlaneLabel;
inline constexpr const char* kServiceLabel = lucid::kLucidServiceLabel;
inline constexpr const char* kExposeLabel = lucid::kExposeLabel;

struct ServiceLabels {
  std::string plane;
  std::string service;
  std::vector<std::uint16_t> ports;  // sorted, unique; empty when nothing is exposed
};

// True when any com.lucid.* label is present (such a container gets the UDP ban).
bool has_lucid_labels(const std::map<std::string, std::string>& labels);

// Parses "8080" / "7100,8080" (spaces around commas allowed) into sorted unique ports 1..65535.
Result<std::vector<std::uint16_t>> parse_port_list(const std::string& text);

// Requires plane ∈ `planes`, a service name [a-z0-9][a-z0-9._-]{0,62}, and a valid port list when
// com.lucid.expose is present.
Result<ServiceLabels> parse_service_labels(const std::map<std::string, std::string>& labels,
                                           const std::vector<std::string>& planes);

// The onion's virtual port for (plane, service, container port): 10000 + BLAKE3("lucid-beta-vport"
// ‖ 0 ‖ plane ‖ 0 ‖ service ‖ 0 ‖ port as decimal)[0..4] (big-endian) mod 50000. See docs/formats.md.
std::uint16_t preferred_virtual_port(const std::string& plane, const std::string& service,
                                     std::uint16_t port);

}  // namespace lucid::beta
