// A Tor control-port client over TCP to 127.0.0.1: cookie AUTHENTICATE, ADD_ONION with our own
// keys, DEL_ONION, GETINFO. Every call is bounded by a timeout; garbage from the port is an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/beta/control_reply.h"
#include "lucid/beta/onion_key.h"

namespace lucid::beta {

struct PortMapping {
  std::uint16_t virtual_port = 0;
  std::string target;  // "ip:port"
  bool operator==(const PortMapping&) const = default;
};

class TorControl {
 public:
  static Result<TorControl> connect(std::uint16_t port, std::chrono::milliseconds timeout);
  TorControl(TorControl&& other) noexcept;
  TorControl& operator=(TorControl&& other) noexcept;
  TorControl(const TorControl&) = delete;
  ~TorControl();

  // PROTOCOLINFO is skipped: we know the method. Reads the 32-byte cookie file and sends it as hex.
  Status authenticate_cookie(const std::filesystem::path& cookie_file);
  // Sends one command line (without CRLF) and returns its reply; async (6xx) replies are skipped.
  Result<ControlReply> command(std::string_view line);
  // ADD_ONION with `identity`'s expanded key; returns tor's ServiceID. `detach` keeps the onion
  // after this connection closes. With `authorized_clients` (ClientAuthV3 keys, tor's base32), only
  // those clients can read the onion's descriptor (Flags=V3Auth). The key never appears in errors.
  Result<std::string> add_onion(const OnionIdentity& identity, const std::vector<PortMapping>& ports,
                                bool detach, const std::vector<std::string>& authorized_clients = {});
  // ONION_CLIENT_AUTH_ADD: this tor, as a client, may read the descriptor of the onion `label`
  // (56 characters) with `as_client`'s client authorization key. The key never appears in errors.
  Status onion_client_auth_add(std::string_view label, const OnionIdentity& as_client);
  Status del_onion(std::string_view service_id);
  Result<std::string> getinfo(std::string_view key);

 private:
  TorControl(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  Status send_raw(std::span<const std::uint8_t> bytes);
  Result<ControlReply> read_reply();

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  ReplyParser parser_;
};

}  // namespace lucid::beta
