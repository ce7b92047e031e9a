#include "lucid/beta/labels.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/number.h"
#include "lucid/crypto/blake3.h"
#include "lucid/fleet/model.h"

namespace lucid::beta {

bool has_lucid_labels(const std::map<std::string, std::string>& labels) {
  return labels.contains(kPlaneLabel) || labels.contains(kServiceLabel) || labels.contains(kExposeLabel);
}

Result<std::vector<std::uint16_t>> parse_port_list(const std::string& text) {
  std::vector<std::uint16_t> ports;
  std::size_t pos = 0;
  if (text.size() > 1024) return fail(ErrorKind::kInvalidArgument, "port list is too long");
  while (true) {
    auto comma = text.find(',', pos);
    std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty() || item.size() > 5 ||
        !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail(ErrorKind::kInvalidArgument, fmt::format("'{}' is not a TCP port", item));
    auto port = parse_number<int>(item, "port");
    if (!port) return std::unexpected(port.error());
    if (*port < 1 || *port > 65535)
      return fail(ErrorKind::kInvalidArgument, fmt::format("port {} out of range 1..65535", *port));
    ports.push_back(static_cast<std::uint16_t>(*port));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

Result<ServiceLabels> parse_service_labels(const std::map<std::string, std::string>& labels,
                                           const std::vector<std::string>& planes) {
  ServiceLabels out;
  auto plane = labels.find(kPlaneLabel);
  if (plane == labels.end()) return fail(ErrorKind::kInvalidArgument, "label com.lucid.plane is missing");
  if (std::find(planes.begin(), planes.end(), plane->second) == planes.end())
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("com.lucid.plane='{}' is not one of beta's planes ({})",
                            plane->second.substr(0, 64), fmt::join(planes, ",")));
  out.plane = plane->second;
  auto service = labels.find(kServiceLabel);
  if (service == labels.end()) return fail(ErrorKind::kInvalidArgument, "label com.lucid.service is missing");
  const std::string& s = service->second;
  if (!fleet::is_service_name(s))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("com.lucid.service='{}' is not a service name", s.substr(0, 64)));
  out.service = s;
  if (auto expose = labels.find(kExposeLabel); expose != labels.end()) {
    auto ports = parse_port_list(expose->second);
    if (!ports) return std::unexpected(with_context("com.lucid.expose", ports.error()));
    out.ports = *ports;
  }
  return out;
}

std::uint16_t preferred_virtual_port(const std::string& plane, const std::string& service,
                                     std::uint16_t port) {
  std::string input = "lucid-beta-vport";
  input.push_back('\0');
  input += plane;
  input.push_back('\0');
  input += service;
  input.push_back('\0');
  input += std::to_string(port);
  auto h = crypto::blake3({reinterpret_cast<const std::uint8_t*>(input.data()), input.size()});
  std::uint32_t v =
      (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) | h[3];
  return static_cast<std::uint16_t>(10000 + v % 50000);
}

}  // namespace lucid::beta
