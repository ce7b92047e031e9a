#include "lucid/fleet/compose.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "lucid/base/text.h"
#include "lucid/yaml/scalar.h"

namespace lucid::fleet {
namespace {

using yaml::Node;

constexpr std::array<std::string_view, 6> kTopLevel = {"configs",  "networks", "secrets",
                                                       "services", "version",  "volumes"};
constexpr std::string_view kServiceKeys[] = {"blkio_config",
                                             "build",
                                             "cap_add",
                                             "cap_drop",
                                             "cgroup_parent",
                                             "command",
                                             "configs",
                                             "container_name",
                                             "cpu_count",
                                             "cpu_percent",
                                             "cpu_period",
                                             "cpu_quota",
                                             "cpu_rt_period",
                                             "cpu_rt_runtime",
                                             "cpu_shares",
                                             "cpus",
                                             "cpuset",
                                             "credential_spec",
                                             "depends_on",
                                             "deploy",
                                             "device_cgroup_rules",
                                             "devices",
                                             "dns",
                                             "dns_opt",
                                             "dns_search",
                                             "domainname",
                                             "entrypoint",
                                             "env_file",
                                             "environment",
                                             "expose",
                                             "extends",
                                             "external_links",
                                             "extra_hosts",
                                             "group_add",
                                             "healthcheck",
                                             "hostname",
                                             "image",
                                             "init",
                                             "ipc",
                                             "isolation",
                                             "labels",
                                             "links",
                                             "logging",
                                             "mac_address",
                                             "mem_limit",
                                             "mem_reservation",
                                             "mem_swappiness",
                                             "memswap_limit",
                                             "network_mode",
                                             "networks",
                                             "oom_kill_disable",
                                             "oom_score_adj",
                                             "pid",
                                             "pids_limit",
                                             "platform",
                                             "ports",
                                             "privileged",
                                             "profiles",
                                             "pull_policy",
                                             "read_only",
                                             "restart",
                                             "runtime",
                                             "scale",
                                             "secrets",
                                             "security_opt",
                                             "shm_size",
                                             "stdin_open",
                                             "stop_grace_period",
                                             "stop_signal",
                                             "storage_opt",
                                             "sysctls",
                                             "tmpfs",
                                             "tty",
                                             "ulimits",
                                             "user",
                                             "userns_mode",
                                             "volumes",
                                             "volumes_from",
                                             "working_dir"};

class Builder {
 public:
  explicit Builder(std::vector<Finding>& findings) : findings_(findings) {}

  void error(const yaml::Mark& m, std::string rule, std::string msg, std::string hint = {}) {
    findings_.push_back(make_finding(m, Severity::kError, std::move(rule), std::move(msg), std::move(hint)));
  }

  std::optional<LString> str(const Node* n, const std::string& what) {
    if (!n) return std::nullopt;
    if (!n->is_scalar()) {
      error(n->mark, "load/compose-type", fmt::format("{} must be a scalar", what));
      return std::nullopt;
    }
    return LString{n->value, n->mark};
  }

  std::optional<Located<bool>> boolean(const Node* n, const std::string& what) {
    if (!n) return std::nullopt;
    if (n->is_scalar()) {
      auto v = yaml::scalar_to_json(*n);
      if (v && v->is_boolean()) return Located<bool>{v->get<bool>(), n->mark};
      // Compose converts the strings y/yes/true/on/n/no/false/off after interpolation.
      const std::string s = lower(n->value);
      if (s == "y" || s == "yes" || s == "true" || s == "on") return Located<bool>{true, n->mark};
      if (s == "n" || s == "no" || s == "false" || s == "off") return Located<bool>{false, n->mark};
    }
    error(n->mark, "load/compose-type", fmt::format("{} must be a boolean", what));
    return std::nullopt;
  }

  std::vector<LString> strings(const Node* n, const std::string& what, bool allow_scalar = false) {
    std::vector<LString> out;
    if (!n || n->is_null()) return out;
    if (n->is_scalar() && allow_scalar) {
      out.push_back({n->value, n->mark});
      return out;
    }
    if (!n->is_sequence()) {
      error(n->mark, "load/compose-type", fmt::format("{} must be a list", what));
      return out;
    }
    for (const Node& i : n->items) {
      if (auto s = str(&i, what + " entry")) out.push_back(*s);
    }
    return out;
  }

  // `KEY=VALUE` lists or maps (labels, environment).
  std::vector<std::pair<LString, std::optional<LString>>> pairs(const Node* n, const std::string& what) {
    std::vector<std::pair<LString, std::optional<LString>>> out;
    if (!n || n->is_null()) return out;
    if (n->is_mapping()) {
      for (const auto& [k, v] : n->entries) {
        std::optional<LString> val;
        if (!v.is_null()) val = str(&v, what + " value");
        out.emplace_back(LString{k.value, k.mark}, val);
      }
    } else if (n->is_sequence()) {
      for (const Node& i : n->items) {
        if (!i.is_scalar()) {
          error(i.mark, "load/compose-type", fmt::format("{} entries must be KEY=VALUE strings", what));
          continue;
        }
        auto eq = i.value.find('=');
        if (eq == std::string::npos)
          out.emplace_back(LString{i.value, i.mark}, std::nullopt);
        else
          out.emplace_back(LString{i.value.substr(0, eq), i.mark}, LString{i.value.substr(eq + 1), i.mark});
      }
    } else {
      error(n->mark, "load/compose-type", fmt::format("{} must be a mapping or a list", what));
    }
    return out;
  }

  Service service(const std::string& name, const yaml::Mark& key_mark, const Node& n) {
    Service s;
    s.name = name;
    s.mark = key_mark;
    s.node = &n;
    if (!n.is_mapping()) {
      if (!n.is_null())
        error(n.mark, "load/compose-type", fmt::format("service '{}' must be a mapping", name));
      return s;
    }
    for (const auto& [k, v] : n.entries) {
      if (!k.is_scalar() || (!is_known_service_key(k.value) && !k.value.starts_with("x-")))
        error(k.mark, "load/compose-unknown-key",
              fmt::format("service '{}': unknown key '{}'", name, k.value),
              "see the Compose file reference for the keys a service may have");
    }
    std::string w = fmt::format("services.{}", name);
    s.image = str(n.find("image"), w + ".image");
    s.user = str(n.find("user"), w + ".user");
    s.network_mode = str(n.find("network_mode"), w + ".network_mode");
    s.pid = str(n.find("pid"), w + ".pid");
    s.ipc = str(n.find("ipc"), w + ".ipc");
    s.restart = str(n.find("restart"), w + ".restart");
    s.read_only = boolean(n.find("read_only"), w + ".read_only");
    s.privileged = boolean(n.find("privileged"), w + ".privileged");
    for (auto& [k, v] : pairs(n.find("labels"), w + ".labels"))
      s.labels.emplace_back(k, v.value_or(LString{"", k.mark}));
    s.environment = pairs(n.find("environment"), w + ".environment");
    if (const Node* nets = n.find("networks")) {
      if (nets->is_mapping())
        for (const auto& [k, v] : nets->entries) s.networks.push_back({k.value, k.mark});
      else
        s.networks = strings(nets, w + ".networks");
    }
    if (const Node* ports = n.find("ports")) {
      if (!ports->is_sequence()) {
        error(ports->mark, "load/compose-type", w + ".ports must be a list");
      } else {
        for (const Node& p : ports->items) port(p, w, s.ports);
      }
    }
    s.expose = strings(n.find("expose"), w + ".expose");
    if (const Node* hc = n.find("healthcheck")) s.healthcheck = healthcheck(*hc, w);
    if (const Node* dep = n.find("depends_on")) {
      if (dep->is_sequence()) {
        for (auto& d : strings(dep, w + ".depends_on")) s.depends_on.push_back({d, "service_started"});
      } else if (dep->is_mapping()) {
        for (const auto& [k, v] : dep->entries) {
          Dependency d{{k.value, k.mark}, "service_started"};
          if (const Node* c = v.find("condition"); c && c->is_scalar()) d.condition = c->value;
          s.depends_on.push_back(d);
        }
      } else {
        error(dep->mark, "load/compose-type", w + ".depends_on must be a list or a mapping");
      }
    }
    s.profiles = strings(n.find("profiles"), w + ".profiles");
    s.cap_drop = strings(n.find("cap_drop"), w + ".cap_drop");
    s.cap_add = strings(n.find("cap_add"), w + ".cap_add");
    s.security_opt = strings(n.find("security_opt"), w + ".security_opt");
    s.env_file = strings(n.find("env_file"), w + ".env_file", true);
    s.links = strings(n.find("links"), w + ".links");
    s.devices = strings(n.find("devices"), w + ".devices");
    s.group_add = strings(n.find("group_add"), w + ".group_add");
    s.tmpfs = strings(n.find("tmpfs"), w + ".tmpfs", true);
    if (const Node* vols = n.find("volumes")) {
      if (!vols->is_sequence()) {
        error(vols->mark, "load/compose-type", w + ".volumes must be a list");
      } else {
        for (const Node& v : vols->items) s.volumes.push_back(volume(v));
      }
    }
    if (const Node* ext = n.find("extends")) {
      if (ext->is_scalar()) {
        s.extends_service = LString{ext->value, ext->mark};
      } else if (ext->is_mapping()) {
        s.extends_service = str(ext->find("service"), w + ".extends.service");
        s.extends_file = str(ext->find("file"), w + ".extends.file");
      }
    }
    return s;
  }

  void port(const Node& p, const std::string& w, std::vector<Port>& out) {
    Port port;
    port.mark = p.mark;
    if (p.is_scalar()) {
      if (!parse_short_port(p.value, port)) {
        error(p.mark, "load/compose-port", fmt::format("{}.ports: invalid port '{}'", w, p.value),
              "use [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]");
        return;
      }
    } else if (p.is_mapping()) {
      port.long_syntax = true;
      auto get = [&](const char* k) {
        const Node* v = p.find(k);
        return v && v->is_scalar() ? v->value : std::string();
      };
      port.target = get("target");
      port.published = get("published");
      port.host_ip = get("host_ip");
      port.mode = get("mode");
      if (auto proto = get("protocol"); !proto.empty()) port.protocol = proto;
    } else {
      error(p.mark, "load/compose-port", w + ".ports entries must be strings or mappings");
      return;
    }
    out.push_back(port);
  }

  Volume volume(const Node& v) {
    Volume vol;
    vol.mark = v.mark;
    if (v.is_mapping()) {
      vol.long_syntax = true;
      auto get = [&](const char* k) {
        const Node* x = v.find(k);
        return x && x->is_scalar() ? x->value : std::string();
      };
      vol.type = get("type");
      vol.source = get("source");
      vol.target = get("target");
      if (auto ro = boolean(v.find("read_only"), "volumes.read_only")) vol.read_only = ro->value;
    } else if (v.is_scalar()) {
      // SOURCE:TARGET[:MODE] or TARGET
      std::vector<std::string> parts;
      std::size_t start = 0;
      for (;;) {
        auto c = v.value.find(':', start);
        parts.push_back(v.value.substr(start, c == std::string::npos ? std::string::npos : c - start));
        if (c == std::string::npos) break;
        start = c + 1;
      }
      if (parts.size() == 1) {
        vol.target = parts[0];
        vol.type = "volume";
      } else {
        vol.source = parts[0];
        vol.target = parts[1];
        vol.read_only = parts.size() > 2 && parts[2].find("ro") != std::string::npos;
        bool path = vol.source.starts_with('/') || vol.source.starts_with('.') || vol.source.starts_with('~');
        vol.type = path ? "bind" : "volume";
      }
    }
    return vol;
  }

  Healthcheck healthcheck(const Node& n, const std::string& w) {
    Healthcheck h;
    h.mark = n.mark;
    if (!n.is_mapping()) {
      error(n.mark, "load/compose-type", w + ".healthcheck must be a mapping");
      return h;
    }
    if (const Node* t = n.find("test")) {
      if (t->is_scalar()) {
        h.string_form = true;
        h.test = {{"CMD-SHELL", t->mark}, {t->value, t->mark}};
      } else {
        h.test = strings(t, w + ".healthcheck.test");
      }
    }
    if (auto d = boolean(n.find("disable"), w + ".healthcheck.disable")) h.disable = d->value;
    h.interval = str(n.find("interval"), w + ".healthcheck.interval");
    h.timeout = str(n.find("timeout"), w + ".healthcheck.timeout");
    h.start_period = str(n.find("start_period"), w + ".healthcheck.start_period");
    h.retries = str(n.find("retries"), w + ".healthcheck.retries");
    return h;
  }

 private:
  std::vector<Finding>& findings_;
};

}  // namespace

bool is_known_top_level_key(std::string_view key) {
  return std::find(kTopLevel.begin(), kTopLevel.end(), key) != kTopLevel.end();
}

bool is_known_service_key(std::string_view key) {
  return !key.empty() &&
         std::find(std::begin(kServiceKeys), std::end(kServiceKeys), key) != std::end(kServiceKeys);
}

bool parse_short_port(std::string_view text, Port& out) {
  std::string t(text);
  auto slash = t.rfind('/');
  if (slash != std::string::npos) {
    out.protocol = t.substr(slash + 1);
    t.resize(slash);
    if (out.protocol.empty()) return false;
  }
  auto last = t.rfind(':');
  if (last == std::string::npos) {
    out.target = t;
  } else {
    out.target = t.substr(last + 1);
    std::string rest = t.substr(0, last);
    auto ip = rest.rfind(':');
    if (ip == std::string::npos) {
      out.published = rest;
    } else {
      out.host_ip = rest.substr(0, ip);
      out.published = rest.substr(ip + 1);
    }
  }
  auto ok_range = [](const std::string& s, bool allow_empty) {
    if (s.empty()) return allow_empty;
    for (char c : s)
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-') return false;
    return s.front() != '-' && s.back() != '-';
  };
  return ok_range(out.target, false) && ok_range(out.published, true);
}

const Service* ComposeFile::find_service(std::string_view name) const {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

ComposeFile compose_from_node(std::shared_ptr<const yaml::Node> root, const std::string& path,
                              std::vector<Finding>& findings) {
  ComposeFile cf;
  cf.path = path;
  cf.root = root;
  Builder b(findings);
  if (!root || !root->is_mapping()) {
    findings.push_back(make_finding(root ? root->mark : yaml::Mark{}, Severity::kError, "load/compose-type",
                                    "a Compose file must be a mapping at the top level"));
    return cf;
  }
  for (const auto& [k, v] : root->entries) {
    if (!k.is_scalar() || (!is_known_top_level_key(k.value) && !k.value.starts_with("x-")))
      b.error(k.mark, "load/compose-unknown-key", fmt::format("unknown top-level key '{}'", k.value),
              "allowed: services, networks, volumes, secrets, configs, version, x-*");
  }
  if (const Node* services = root->find("services"); services && services->is_mapping()) {
    cf.services.reserve(services->entries.size());
    for (const auto& [k, v] : services->entries) cf.services.push_back(b.service(k.value, k.mark, v));
  } else if (services && !services->is_null()) {
    b.error(services->mark, "load/compose-type", "services must be a mapping");
  }
  if (const Node* nets = root->find("networks"); nets && nets->is_mapping()) {
    for (const auto& [k, v] : nets->entries) {
      NetworkDef d{k.value, k.mark, false, false, &v};
      if (auto i = b.boolean(v.find("internal"), "networks." + k.value + ".internal")) d.internal = i->value;
      if (const Node* e = v.find("external"); e && !e->is_mapping()) {
        if (auto x = b.boolean(e, "networks." + k.value + ".external")) d.external = x->value;
      } else if (e) {
        d.external = true;
      }
      cf.networks.push_back(d);
    }
  }
  if (const Node* vols = root->find("volumes"); vols && vols->is_mapping())
    for (const auto& [k, v] : vols->entries) cf.volumes.push_back(k.value);
  return cf;
}

}  // namespace lucid::fleet
