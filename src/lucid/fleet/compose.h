// Typed, position-keeping view of a Compose file for lint and plan: one Service per entry under
// `services:`, each field with the Mark of where it was written. The raw tree stays available.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lucid/fleet/finding.h"
#include "lucid/yaml/node.h"

namespace lucid::fleet {

// A value and where it was written.
template <typename T>
struct Located {
  T value{};
  yaml::Mark mark;
};
using LString = Located<std::string>;

// One `ports:` entry, short ("127.0.0.1:8080:80/udp") or long ({target, published, …}) syntax.
struct Port {
  bool long_syntax = false;
  std::string host_ip, published, target, protocol = "tcp", mode;
  yaml::Mark mark;
};

struct Volume {
  bool long_syntax = false;
  std::string type;  // bind | volume | tmpfs | npipe ("bind" for a short entry whose source is a path)
  std::string source, target;
  bool read_only = false;
  yaml::Mark mark;
};

struct Dependency {
  LString service;
  std::string condition = "service_started";  // list form means service_started
};

struct Healthcheck {
  std::vector<LString> test;  // list form; a string test becomes {"CMD-SHELL", text}
  bool string_form = false;   // `test: "…"` (shell form)
  bool disable = false;
  std::optional<LString> interval, timeout, start_period, retries;
  yaml::Mark mark;
};

struct Service {
  std::string name;
  yaml::Mark mark;                   // the service's key
  const yaml::Node* node = nullptr;  // the full mapping (owned by the ComposeFile)

  std::optional<LString> image, user, network_mode, pid, ipc, restart;
  std::optional<Located<bool>> read_only, privileged;
  std::vector<std::pair<LString, LString>> labels;  // list or map form, document order
  std::vector<LString> networks;                    // list or map form (names)
  std::vector<Port> ports;
  std::vector<LString> expose;
  std::optional<Healthcheck> healthcheck;
  std::vector<Dependency> depends_on;
  std::vector<LString> profiles, cap_drop, cap_add, security_opt, env_file, links, devices, group_add;
  std::vector<LString> tmpfs;  // "path[:options]", list or single-string form
  std::vector<Volume> volumes;
  std::vector<std::pair<LString, std::optional<LString>>> environment;  // list or map form
  std::optional<LString> extends_service, extends_file;
};

struct NetworkDef {
  std::string name;
  yaml::Mark mark;
  bool internal = false, external = false;
  const yaml::Node* node = nullptr;
};

struct ComposeFile {
  std::string path;
  std::shared_ptr<const yaml::Node> root;  // owns every Node the views point into
  std::vector<Service> services;           // document order
  std::vector<NetworkDef> networks;
  std::vector<std::string> volumes;
  const Service* find_service(std::string_view name) const;  // linear
};

// Builds the typed view from a parsed document. Shape problems (a list where a map belongs, an
// unknown top-level key, …) become findings (rule ids `load/compose-*`); never fails.
ComposeFile compose_from_node(std::shared_ptr<const yaml::Node> root, const std::string& path,
                              std::vector<Finding>& findings);

// Parses a short port entry ("[ip:][published:]target[/proto]"); false when malformed.
bool parse_short_port(std::string_view text, Port& out);

// The top-level keys a Compose file may have (besides `x-…` extensions).
bool is_known_top_level_key(std::string_view key);
// The service keys docker-compose 1.29's schema allows (besides `x-…`).
bool is_known_service_key(std::string_view key);

}  // namespace lucid::fleet
