// The few Docker Engine API calls beta needs, over the unix socket with libcurl: JSON GETs and
// the streaming /events feed (one JSON object per line) until a stop predicate turns true.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid::beta {

class DockerClient {
 public:
  explicit DockerClient(std::string socket_path = "/var/run/docker.sock") : socket_(std::move(socket_path)) {}

  // GET `path` (e.g. "/containers/json?all=0"); kNotFound on 404, kIo on other non-2xx.
  Result<nlohmann::json> get_json(const std::string& path) const;
  // Streams GET `path` (an /events URL); calls on_event per object. Returns when the stream ends,
  // fails, or stop() is true (checked at least once a second).
  Status stream_events(const std::string& path, const std::function<void(const nlohmann::json&)>& on_event,
                       const std::function<bool()>& stop) const;
  // URL-encodes a filters JSON for a query string.
  static std::string encode(const std::string& text);

 private:
  std::string socket_;
};

}  // namespace lucid::beta
