#include "lucid/engine/short_lived.h"

#include <thread>

#include <fmt/format.h>

#include "lucid/base/http_client.h"

namespace lucid::engine {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Output demultiplex(std::string_view s) {
  Output o;
  std::size_t i = 0;
  while (i + 8 <= s.size()) {
    auto stream = static_cast<unsigned char>(s[i]);
    std::size_t n = (std::size_t(static_cast<unsigned char>(s[i + 4])) << 24) |
                    (std::size_t(static_cast<unsigned char>(s[i + 5])) << 16) |
                    (std::size_t(static_cast<unsigned char>(s[i + 6])) << 8) |
                    std::size_t(static_cast<unsigned char>(s[i + 7]));
    i += 8;
    auto part = s.substr(i, std::min(n, s.size() - i));
    (stream == 2 ? o.err : o.out).append(part);
    i += part.size();
  }
  return o;
}

namespace {

// A raw request to the engine (the body is not JSON: a multiplexed stream).
Result<std::string> raw(const DockerClient& docker, const std::string& method, const std::string& path,
                        const std::string* body, std::chrono::milliseconds timeout) {
  HttpOptions o;
  o.unix_socket = docker.socket_path();
  o.timeout = timeout;
  auto r = http_request(method, "http://docker/v" + docker.api_version() + path, body, "application/json", o);
  if (!r)
    return fail(ErrorKind::kIo, fmt::format("docker engine {}: {}", docker.socket_path(), r.error().message));
  if (r->status < 200 || r->status >= 300)
    return fail(
        r->status == 404 ? ErrorKind::kNotFound : ErrorKind::kIo,
        fmt::format("docker engine: {} {} answered {}: {}", method, path, r->status, r->body.substr(0, 200)));
  return std::move(r->body);
}

}  // namespace

Result<ExecResult> exec_in(const DockerClient& docker, const std::string& id,
                           const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  auto created =
      docker.post_json("/containers/" + DockerClient::encode(id) + "/exec",
                       nlohmann::json{{"Cmd", argv}, {"AttachStdout", true}, {"AttachStderr", true}});
  if (!created) return std::unexpected(created.error());
  std::string exec_id = created->value("Id", "");
  if (exec_id.empty()) return fail(ErrorKind::kCorrupt, "docker engine: exec create answered without an Id");
  std::string body = nlohmann::json{{"Detach", false}, {"Tty", false}}.dump();
  auto stream = raw(docker, "POST", "/exec/" + exec_id + "/start", &body, timeout);
  if (!stream) return std::unexpected(stream.error());
  ExecResult r;
  r.output = demultiplex(*stream);
  // The stream ends when the process exits; its exit code may take a moment to be recorded.
  auto deadline = Clock::now() + 5s;
  while (true) {
    auto j = docker.get_json("/exec/" + exec_id + "/json");
    if (!j) return std::unexpected(j.error());
    if (!j->value("Running", false) && (*j)["ExitCode"].is_number_integer()) {
      r.exit_code = (*j)["ExitCode"].get<int>();
      return r;
    }
    if (Clock::now() > deadline)
      return fail(ErrorKind::kIo,
                  fmt::format("exec in {}: no exit code after its output ended", id.substr(0, 12)));
    std::this_thread::sleep_for(100ms);
  }
}

Result<std::string> volume_mountpoint(const DockerClient& docker, const std::string& name) {
  auto j = docker.get_json("/volumes/" + DockerClient::encode(name));
  if (!j) {
    if (j.error().kind == ErrorKind::kNotFound)
      return fail(ErrorKind::kNotFound, fmt::format("volume {} does not exist", name));
    return std::unexpected(j.error());
  }
  std::string mp = j->value("Mountpoint", "");
  if (mp.empty()) return fail(ErrorKind::kNotFound, fmt::format("volume {} has no host mountpoint", name));
  return mp;
}

Result<ShortLivedContainer> ShortLivedContainer::start(const DockerClient& docker,
                                                       const ContainerSpec& spec) {
  nlohmann::json host = {{"NetworkMode", spec.network},
                         {"ReadonlyRootfs", true},
                         {"CapDrop", {"ALL"}},
                         {"SecurityOpt", {"no-new-privileges:true"}},
                         {"Memory", 64 << 20},
                         {"PidsLimit", 64},
                         {"RestartPolicy", {{"Name", "no"}}}};
  if (!spec.cap_add.empty()) host["CapAdd"] = spec.cap_add;
  nlohmann::json body = {{"Image", spec.image},
                         {"Cmd", spec.cmd},
                         {"User", spec.user},
                         {"Labels", spec.labels},
                         {"HostConfig", host}};
  if (!spec.entrypoint.empty()) body["Entrypoint"] = nlohmann::json::array({spec.entrypoint});
  // A shared namespace has no endpoint of its own.
  if (!spec.network.starts_with("container:"))
    body["NetworkingConfig"] = {{"EndpointsConfig", {{spec.network, nlohmann::json::object()}}}};
  auto created = docker.post_json(
      "/containers/create" + (spec.name.empty() ? std::string() : "?name=" + DockerClient::encode(spec.name)),
      body);
  if (!created)
    return fail(created.error().kind, fmt::format("container ({}): {}", spec.image, created.error().message));
  ShortLivedContainer c(&docker, created->value("Id", ""), spec.network);
  if (auto s = docker.post_json("/containers/" + c.id_ + "/start"); !s)
    return fail(s.error().kind, fmt::format("container ({}): start: {}", spec.image, s.error().message));
  return c;
}

ShortLivedContainer::ShortLivedContainer(ShortLivedContainer&& other) noexcept
    : docker_(other.docker_), id_(std::move(other.id_)), network_(std::move(other.network_)) {
  other.id_.clear();
}

ShortLivedContainer::~ShortLivedContainer() {
  if (!id_.empty() && docker_) (void)docker_->del("/containers/" + id_ + "?force=1&v=1");
}

Result<std::string> ShortLivedContainer::ip() const {
  auto j = docker_->get_json("/containers/" + id_ + "/json");
  if (!j) return std::unexpected(j.error());
  const auto& nets = (*j)["NetworkSettings"]["Networks"];
  if (nets.is_object())
    for (const auto& [name, n] : nets.items())
      if (name == network_ || n.value("NetworkID", "") == network_) {
        std::string ip = n.value("IPAddress", "");
        if (!ip.empty()) return ip;
      }
  return fail(ErrorKind::kNotFound, fmt::format("container {} has no address on network {}",
                                                id_.substr(0, 12), network_.substr(0, 24)));
}

Result<int> ShortLivedContainer::wait(std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto j = docker_->get_json("/containers/" + id_ + "/json");
    if (!j) return std::unexpected(j.error());
    const auto& st = (*j)["State"];
    if (!st.value("Running", false) && st.value("Status", "") != "created") return st.value("ExitCode", -1);
    if (Clock::now() > deadline)
      return fail(ErrorKind::kIo,
                  fmt::format("container {} still runs after {} ms", id_.substr(0, 12), timeout.count()));
    std::this_thread::sleep_for(100ms);
  }
}

Result<Output> ShortLivedContainer::logs() const {
  auto r = raw(*docker_, "GET", "/containers/" + id_ + "/logs?stdout=1&stderr=1", nullptr, 10s);
  if (!r) return std::unexpected(r.error());
  return demultiplex(*r);
}

Status ShortLivedContainer::wait_for_output(const std::string& text,
                                            std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto l = logs();
    if (!l) return std::unexpected(l.error());
    if (l->out.find(text) != std::string::npos) return {};
    if (Clock::now() > deadline)
      return fail(ErrorKind::kIo,
                  fmt::format("container {} did not print '{}' within {} ms{}", id_.substr(0, 12), text,
                              timeout.count(), l->err.empty() ? "" : ": " + l->err.substr(0, 200)));
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace lucid::engine
