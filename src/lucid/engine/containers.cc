#include "lucid/engine/containers.h"

#include <algorithm>
#include <cstdlib>

#include "lucid/engine/labels.h"

namespace lucid::engine {
namespace {

std::string str(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const nlohmann::json& member(const nlohmann::json& o, const char* key) {
  static const nlohmann::json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(key);
  return it == o.end() ? kNull : *it;
}

std::string last_line_of(const std::string& s) {
  std::string line = s;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  auto nl = line.rfind('\n');
  if (nl != std::string::npos) line = line.substr(nl + 1);
  return line.substr(0, 300);
}

// The labels, and the service and config hash they name.
void read_labels(const nlohmann::json& labels, ContainerState& c) {
  if (labels.is_object())
    for (auto it = labels.begin(); it != labels.end(); ++it)
      if (it->is_string()) c.labels[it.key()] = it->get<std::string>();
  if (auto it = c.labels.find(kServiceLabel); it != c.labels.end()) c.service = it->second;
  if (auto it = c.labels.find(kConfigHashLabel); it != c.labels.end()) c.config_hash = it->second;
}

}  // namespace

ContainerState from_inspect(const nlohmann::json& j) {
  ContainerState c;
  c.id = str(j, "Id");
  c.name = str(j, "Name");
  if (c.name.starts_with('/')) c.name.erase(0, 1);
  c.image_id = str(j, "Image");
  const auto& config = member(j, "Config");
  c.image = str(config, "Image");
  read_labels(member(config, "Labels"), c);
  const auto& hc = member(config, "Healthcheck");
  const auto& test = member(hc, "Test");
  c.has_healthcheck = test.is_array() && !test.empty() && test[0] != "NONE";
  const auto& state = member(j, "State");
  c.state = str(state, "Status");
  c.started_at = str(state, "StartedAt");
  c.oom_killed = member(state, "OOMKilled").is_boolean() && member(state, "OOMKilled").get<bool>();
  if (member(state, "ExitCode").is_number_integer()) c.exit_code = member(state, "ExitCode").get<int>();
  const auto& health = member(state, "Health");
  c.health = str(health, "Status");
  const auto& log = member(health, "Log");
  if (log.is_array() && !log.empty()) c.last_health_log = last_line_of(str(log.back(), "Output"));
  c.restart_policy = str(member(member(j, "HostConfig"), "RestartPolicy"), "Name");
  return c;
}

Result<ContainerState> inspect_container(const DockerClient& docker, const std::string& id) {
  auto j = docker.get_json("/containers/" + DockerClient::encode(id) + "/json");
  if (!j) return std::unexpected(j.error());
  return from_inspect(*j);
}

ContainerState from_list_entry(const nlohmann::json& j) {
  ContainerState c;
  c.id = str(j, "Id");
  const auto& names = member(j, "Names");
  if (names.is_array() && !names.empty() && names[0].is_string()) c.name = names[0].get<std::string>();
  if (c.name.starts_with('/')) c.name.erase(0, 1);
  c.image = str(j, "Image");
  c.image_id = str(j, "ImageID");
  read_labels(member(j, "Labels"), c);
  c.state = str(j, "State");
  // "Up 3 minutes (healthy)", "Up 2 seconds (health: starting)", "Exited (137) 5 seconds ago".
  const std::string status = str(j, "Status");
  if (status.ends_with("(healthy)"))
    c.health = "healthy";
  else if (status.ends_with("(unhealthy)"))
    c.health = "unhealthy";
  else if (status.ends_with("(health: starting)"))
    c.health = "starting";
  c.has_healthcheck = !c.health.empty();
  if (status.starts_with("Exited (")) c.exit_code = std::atoi(status.c_str() + 8);
  return c;
}

namespace {

Result<nlohmann::json> list_json(const DockerClient& docker, const std::string& project) {
  nlohmann::json filters = {{"label", {std::string(kProjectLabel) + "=" + project}}};
  auto list = docker.get_json("/containers/json?all=1&filters=" + DockerClient::filters(filters));
  if (!list) return std::unexpected(list.error());
  if (!list->is_array()) return nlohmann::json::array();
  return list;
}

void sort_by_service(std::vector<ContainerState>& out) {
  std::sort(out.begin(), out.end(), [](const ContainerState& a, const ContainerState& b) {
    return std::tie(a.service, a.name) < std::tie(b.service, b.name);
  });
}

}  // namespace

Result<std::vector<ContainerState>> list_project(const DockerClient& docker, const std::string& project) {
  auto list = list_json(docker, project);
  if (!list) return std::unexpected(list.error());
  std::vector<ContainerState> out;
  for (const auto& item : *list) {
    auto c = inspect_container(docker, str(item, "Id"));
    if (!c) {
      if (c.error().kind == ErrorKind::kNotFound) continue;
      return std::unexpected(c.error());
    }
    out.push_back(std::move(*c));
  }
  sort_by_service(out);
  return out;
}

Result<std::vector<ContainerState>> list_project_summary(const DockerClient& docker,
                                                         const std::string& project) {
  auto list = list_json(docker, project);
  if (!list) return std::unexpected(list.error());
  std::vector<ContainerState> out;
  for (const auto& item : *list) out.push_back(from_list_entry(item));
  sort_by_service(out);
  return out;
}

}  // namespace lucid::engine
