// The Docker Engine API over its unix socket (base/http_client): JSON GET/POST/DELETE and the
// streaming /events feed. Pinned to API v1.41 (Docker 20.10) or the engine's own, if older.
#pragma once

#include <ctime>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"

namespace lucid::engine {

inline constexpr const char* kDefaultDockerSocket = "/var/run/docker.sock";
inline constexpr const char* kApiVersion = "1.41";  // what this client is written against

class DockerClient {
 public:
  explicit DockerClient(std::string socket_path = kDefaultDockerSocket) : socket_(std::move(socket_path)) {}

  // Asks GET /version and uses min(engine ApiVersion, 1.41) from then on. Without it every call
  // uses v1.41. Fails (kIo) when no engine answers.
  Status negotiate();
  const std::string& api_version() const { return version_; }
  const std::string& socket_path() const { return socket_; }

  // `path` is the API path after the version, e.g. "/containers/json?all=1".
  // kNotFound on 404, kAlreadyExists on 409, kIo on other non-2xx (message carries the engine's);
  // 304 (start of a running container, stop of a stopped one) is success with a null body.
  Result<nlohmann::json> get_json(const std::string& path) const;
  // POST with an optional JSON body; an empty response body gives null.
  Result<nlohmann::json> post_json(const std::string& path,
                                   const std::optional<nlohmann::json>& body = std::nullopt) const;
  Status del(const std::string& path) const;

  // The one engine-events subscription (drift, health, beta's label watcher): GET
  // /events?since=<since>&filters=<filters>, e.g. filters {"type": ["container"], "event": ["start"]}.
  // Events from `since` (Unix seconds, so a caller can replay the second before its snapshot) are
  // decoded and handed to on_event, one JSON object each. Returns when the stream ends or fails
  // (kIo), or cleanly once stop() is true (checked after every event and at least once a second).
  Status subscribe(const nlohmann::json& filters, std::time_t since,
                   const std::function<void(const nlohmann::json&)>& on_event,
                   const std::function<bool()>& stop) const;

  // Percent-encodes text for a query string (e.g. a filters JSON).
  static std::string encode(const std::string& text);
  // "?filters=<encoded JSON>"-ready value for {"label": [labels...], ...}.
  static std::string filters(const nlohmann::json& filters) { return encode(filters.dump()); }

 private:
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const std::string* body) const;
  std::string url(const std::string& path) const;

  std::string socket_;
  std::string version_ = kApiVersion;
};

}  // namespace lucid::engine
