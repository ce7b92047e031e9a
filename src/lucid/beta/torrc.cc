#include "lucid/beta/torrc.h"

#include <fmt/format.h>

namespace lucid::beta {

std::string render_torrc(const TorConfig& c) {
  std::string out = "# written by betad; do not edit\n";
  out += fmt::format("DataDirectory {}\n", c.data_dir().string());
  // ExtendedErrors: a refused onion connection says why (0xF0-0xF7: descriptor not found, client
  // authorization missing or wrong, ...); the SOCKS front passes the code on to its caller.
  out += fmt::format("SocksPort {} ExtendedErrors\n", c.socks_listen);
  out += "ControlPort 127.0.0.1:auto\n";
  out += fmt::format("ControlPortWriteToFile {}\n", c.control_port_file().string());
  out += "CookieAuthentication 1\n";
  out += fmt::format("CookieAuthFile {}\n", c.cookie_file().string());
  out += "DNSPort 0\nTransPort 0\nNATDPort 0\nORPort 0\nDirPort 0\n";
  out += "RunAsDaemon 0\nAvoidDiskWrites 1\n";
  out += fmt::format("Log notice file {}\n", c.log_file().string());
  out += fmt::format("DisableNetwork {}\n", c.disable_network ? 1 : 0);
  if (!c.extra_lines.empty()) out += "# --tor-config\n";
  for (const auto& line : c.extra_lines) out += line + "\n";
  return out;
}

}  // namespace lucid::beta
