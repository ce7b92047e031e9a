// The probes that run inside a probe container (`lucidctl accept probe …`, the image from
// probe_image.h): a UDP listener counting datagrams per sender tag, a UDP sender, and TCP connects.
// Each prints one JSON object on stdout, which the caller reads from the container's logs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid::accept {

// "ip:port" → (ip, port); IPv4 only (plane networks are IPv4 bridges).
Result<std::pair<std::string, std::uint16_t>> parse_endpoint(const std::string& text);

// Binds UDP `port`, prints "ready" (flushed), then counts datagrams "lucid-accept <tag> <n>" per
// tag until "lucid-accept end" arrives or `timeout` passes. Returns
// {"received": {tag: count}, "other": count, "ended": bool}.
Result<nlohmann::json> udp_listen(std::uint16_t port, std::chrono::milliseconds timeout);

// After `delay`, sends `count` datagrams "lucid-accept <tag> <i>" to `to` 10 ms apart, then, with
// `end`, three "lucid-accept end". Returns {"sent": n, "errors": n, "first_error": "…"}.
Result<nlohmann::json> udp_send(const std::string& to, int count, const std::string& tag,
                                std::chrono::milliseconds delay, bool end);

// After `delay` (time for beta to admit a new caller), one TCP connect per target, each bounded by
// `timeout`. Returns {"results": [{"target", "connected": bool, "error": "…"}]}.
nlohmann::json tcp_connect(const std::vector<std::string>& targets, std::chrono::milliseconds timeout,
                           std::chrono::milliseconds delay = std::chrono::milliseconds(0));

}  // namespace lucid::accept
