// The torrc betad writes for its private tor: SOCKS and control on loopback, cookie auth, no DNS
// or other UDP listener, a private DataDirectory; DisableNetwork for offline tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lucid::beta {

struct TorConfig {
  std::filesystem::path state_dir;              // holds torrc, data/, the cookie and the control-port file
  std::string socks_listen = "127.0.0.1:9050";  // "ip:port" or "ip:auto"
  bool disable_network = false;
  std::string tor_binary = "tor";
  // Lines appended to the torrc (--tor-config): e.g. the DirAuthority lines of a private test
  // network (scripts/tor-test-network). One option per line, no newline in any.
  std::vector<std::string> extra_lines;

  std::filesystem::path torrc() const { return state_dir / "torrc"; }
  std::filesystem::path data_dir() const { return state_dir / "data"; }
  std::filesystem::path cookie_file() const { return state_dir / "control_auth_cookie"; }
  std::filesystem::path control_port_file() const { return state_dir / "control_port"; }
  std::filesystem::path log_file() const { return state_dir / "tor.log"; }
};

// The torrc text (ControlPort is 127.0.0.1:auto; tor writes the chosen port to control_port_file).
std::string render_torrc(const TorConfig& config);

}  // namespace lucid::beta
