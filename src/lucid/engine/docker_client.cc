#include "lucid/engine/docker_client.h"

#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "lucid/base/http_client.h"
#include "lucid/base/text.h"

namespace lucid::engine {
namespace {

using namespace std::chrono_literals;

HttpOptions options_for(const std::string& socket, std::chrono::milliseconds timeout) {
  HttpOptions o;
  o.unix_socket = socket;
  o.timeout = timeout;
  return o;
}

// "1.41" → {1, 41}; {0, 0} when malformed.
std::pair<int, int> parse_version(const std::string& v) {
  int major = 0, minor = 0;
  if (std::sscanf(v.c_str(), "%d.%d", &major, &minor) != 2) return {0, 0};
  return {major, minor};
}

std::string engine_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  std::string line = body.substr(0, body.find('\n'));
  return line.substr(0, 200);
}

}  // namespace

std::string DockerClient::encode(const std::string& text) {
  return percent_encode(text);
}

std::string DockerClient::url(const std::string& path) const {
  return "http://docker/v" + version_ + path;
}

Status DockerClient::negotiate() {
  auto r = http_get("http://docker/version", options_for(socket_, 5s));
  if (!r) return fail(ErrorKind::kIo, fmt::format("docker engine {}: {}", socket_, r.error().message));
  if (r->status != 200)
    return fail(ErrorKind::kIo,
                fmt::format("docker engine {}: GET /version answered {}", socket_, r->status));
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::string server = j.is_object() ? j.value("ApiVersion", "") : "";
  auto have = parse_version(server);
  if (have.first == 0)
    return fail(ErrorKind::kCorrupt, fmt::format("docker engine {}: /version has no ApiVersion", socket_));
  version_ = have < parse_version(kApiVersion) ? server : std::string(kApiVersion);
  return {};
}

Result<nlohmann::json> DockerClient::call(const std::string& method, const std::string& path,
                                          const std::string* body) const {
  auto r = http_request(method, url(path), body, "application/json", options_for(socket_, 60s));
  if (!r) return fail(ErrorKind::kIo, fmt::format("docker engine {}: {}", socket_, r.error().message));
  // 304 Not Modified: a start of a running container or stop of a stopped one, nothing to do.
  if (r->status == 304) return nlohmann::json();
  if (r->status == 404)
    return fail(ErrorKind::kNotFound,
                fmt::format("docker engine: {} {}: {}", method, path, engine_message(r->body)));
  if (r->status == 409)
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("docker engine: {} {}: {}", method, path, engine_message(r->body)));
  if (r->status < 200 || r->status >= 300)
    return fail(ErrorKind::kIo, fmt::format("docker engine: {} {} answered {}: {}", method, path, r->status,
                                            engine_message(r->body)));
  if (r->body.empty()) return nlohmann::json();
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded())
    return fail(ErrorKind::kCorrupt, fmt::format("docker engine: {} {} answered non-JSON", method, path));
  return j;
}

Result<nlohmann::json> DockerClient::get_json(const std::string& path) const {
  return call("GET", path, nullptr);
}

Result<nlohmann::json> DockerClient::post_json(const std::string& path,
                                               const std::optional<nlohmann::json>& body) const {
  std::string text = body ? body->dump() : std::string();
  return call("POST", path, body ? &text : nullptr);
}

Status DockerClient::del(const std::string& path) const {
  auto r = call("DELETE", path, nullptr);
  if (!r) return std::unexpected(r.error());
  return {};
}

Status DockerClient::subscribe(const nlohmann::json& filters, std::time_t since,
                               const std::function<void(const nlohmann::json&)>& on_event,
                               const std::function<bool()>& stop) const {
  const std::string path = fmt::format("/events?since={}&filters={}", since, DockerClient::filters(filters));
  std::string buffer;
  bool too_long = false;
  auto on_data = [&](std::string_view data) {
    buffer.append(data);
    std::size_t pos;
    while ((pos = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, pos);
      buffer.erase(0, pos + 1);
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) on_event(j);
      if (stop()) return false;
    }
    if (buffer.size() > (1u << 20)) {
      too_long = true;
      return false;
    }
    return true;
  };
  auto status = http_stream("GET", url(path), on_data, stop, options_for(socket_, 5s));
  if (stop()) return {};
  if (!status) return fail(ErrorKind::kIo, fmt::format("docker events stream: {}", status.error().message));
  if (too_long) return fail(ErrorKind::kCorrupt, "docker events stream: a line longer than 1 MiB");
  if (*status < 200 || *status >= 300)
    return fail(ErrorKind::kIo, fmt::format("docker events stream: GET {} answered {}: {}", path, *status,
                                            engine_message(buffer)));
  return fail(ErrorKind::kIo, "docker events stream ended");
}

}  // namespace lucid::engine
