#include "lucid/fleet/model.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/yaml/loader.h"

namespace lucid::fleet {
namespace {

namespace fs = std::filesystem;
using yaml::Node;

std::optional<LString> scalar(const Node* n) {
  if (!n || !n->is_scalar()) return std::nullopt;
  return LString{n->value, n->mark};
}

std::vector<LString> scalars(const Node* n) {
  std::vector<LString> out;
  if (n && n->is_sequence())
    for (const Node& i : n->items)
      if (i.is_scalar()) out.push_back({i.value, i.mark});
  return out;
}

void load_clusters(Model& m) {
  auto root = load_yaml_file(m.repo, kClustersPath, m.findings);
  if (!root) return;
  if (!root->is_mapping()) {
    m.findings.push_back(
        make_finding(root->mark, Severity::kError, "load/clusters", "clusters.yaml must be a mapping"));
    return;
  }
  for (const auto& [k, v] : root->entries) {
    if (k.value != "version" && k.value != "waves" && k.value != "clusters" && !k.value.starts_with("x-"))
      m.findings.push_back(make_finding(k.mark, Severity::kError, "load/unknown-key",
                                        fmt::format("unknown top-level key '{}' in clusters.yaml", k.value),
                                        "allowed: version, waves, clusters"));
  }
  if (const Node* waves = root->find("waves"); waves && waves->is_sequence()) {
    for (const Node& w : waves->items) {
      Wave wave;
      wave.name = scalar(w.find("name")).value_or(LString{"", w.mark});
      wave.ref = scalar(w.find("ref")).value_or(LString{"", w.mark});
      wave.gates = scalars(w.find("gates"));
      wave.soak = scalar(w.find("soak"));
      wave.stale_after = scalar(w.find("stale_after"));
      wave.anchor_latency_budget = scalar(w.find("anchor_latency_budget"));
      m.waves.push_back(std::move(wave));
    }
  }
  if (const Node* clusters = root->find("clusters"); clusters && clusters->is_sequence()) {
    for (const Node& c : clusters->items) {
      Cluster cl;
      auto id = scalar(c.find("id"));
      if (!id) {
        m.findings.push_back(make_finding(c.mark, Severity::kError, "load/clusters",
                                          "cluster without an `id`",
                                          "every cluster needs id, wave and profiles"));
        continue;
      }
      cl.id = *id;
      cl.wave = scalar(c.find("wave")).value_or(LString{"", c.mark});
      cl.profiles = scalars(c.find("profiles"));
      cl.docker_host = scalar(c.find("docker_host"));
      cl.status = scalar(c.find("status"));
      if (const Node* labels = c.find("labels"); labels && labels->is_mapping())
        for (const auto& [lk, lv] : labels->entries)
          cl.labels.emplace_back(LString{lk.value, lk.mark}, LString{lv.value, lv.mark});
      bool safe = cl.id.value.find('/') == std::string::npos && cl.id.value != ".." && !cl.id.value.empty();
      cl.env_path = fmt::format("clusters/{}/.env", cl.id.value);
      if (safe) {
        auto text = read_text_file(m.repo / cl.env_path);
        if (text)
          cl.env = parse_env_file(*text, cl.env_path);
        else
          m.findings.push_back(
              make_finding(cl.id.mark, Severity::kError, "load/missing-file",
                           fmt::format("{} cannot be read: {}", cl.env_path, text.error().message),
                           "create it from another cluster's .env"));
        if (cl.env)
          for (const auto& bad : cl.env->invalid_lines)
            m.findings.push_back(make_finding(bad, Severity::kError, "load/env-syntax",
                                              "this line is not KEY=VALUE; Compose would skip it",
                                              "one KEY=VALUE per line; quote values with spaces"));
      }
      m.clusters.push_back(std::move(cl));
    }
  }
}

void load_dir(Model& m, const char* dir, std::map<std::string, YamlFile>& into, std::string_view suffix) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(m.repo / dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.ends_with(suffix)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::string rel = fmt::format("{}/{}", dir, name);
    if (auto root = load_yaml_file(m.repo, rel, m.findings)) into[name] = YamlFile{rel, root};
  }
}

}  // namespace

std::shared_ptr<const yaml::Node> load_yaml_file(const fs::path& repo, const std::string& rel,
                                                 std::vector<Finding>& findings, bool required) {
  auto text = read_text_file(repo / rel);
  if (!text) {
    if (required)
      findings.push_back(Finding{rel, 0, 0, Severity::kError, "load/missing-file",
                                 fmt::format("cannot read {}: {}", rel, text.error().message),
                                 "the config repo layout is in deploy/README.md"});
    return nullptr;
  }
  auto doc = yaml::parse_document(*text, rel);
  if (!doc) {
    bool dup = doc.error().message.starts_with("duplicate key");
    findings.push_back(make_finding(
        doc.error().mark, Severity::kError, dup ? "load/duplicate-key" : "load/yaml", doc.error().message,
        dup ? "remove one of the two entries" : "fix the YAML syntax at this position"));
    return nullptr;
  }
  return std::make_shared<const Node>(std::move(*doc));
}

const Cluster* Model::find_cluster(std::string_view id) const {
  for (const auto& c : clusters)
    if (c.id.value == id) return &c;
  return nullptr;
}

Model load_model(const fs::path& repo) {
  Model m;
  m.repo = repo;
  if (auto root = load_yaml_file(repo, kComposePath, m.findings))
    m.compose = compose_from_node(root, kComposePath, m.findings);
  load_clusters(m);
  load_dir(m, kPoliciesDir, m.policies, ".yaml");
  load_dir(m, kSecretsDir, m.secrets, ".enc.yaml");
  return m;
}

std::optional<SecretRef> parse_secret_ref(std::string_view value) {
  constexpr std::string_view kPrefix = "enc:sops:";
  if (!value.starts_with(kPrefix)) return std::nullopt;
  value.remove_prefix(kPrefix.size());
  auto hash = value.find('#');
  if (hash == std::string_view::npos || hash == 0 || hash + 1 == value.size()) return std::nullopt;
  SecretRef r{std::string(value.substr(0, hash)), std::string(value.substr(hash + 1))};
  if (r.file.find('/') != std::string::npos || r.file == "." || r.file == "..") return std::nullopt;
  return r;
}

namespace {

// "<prefix><PLANE>" → "plane"; nullopt unless PLANE is [A-Z0-9]+.
std::optional<std::string> pin_plane(std::string_view key, std::string_view prefix) {
  if (!key.starts_with(prefix) || key.size() == prefix.size()) return std::nullopt;
  std::string plane;
  for (char c : key.substr(prefix.size())) {
    if (c >= 'A' && c <= 'Z')
      plane += static_cast<char>(c - 'A' + 'a');
    else if (c >= '0' && c <= '9')
      plane += c;
    else
      return std::nullopt;
  }
  return plane;
}

std::string pin_key(std::string_view prefix, std::string_view plane) {
  std::string key(prefix);
  for (char c : plane) key += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return key;
}

}  // namespace

std::optional<std::string> onion_pin_plane(std::string_view key) {
  return pin_plane(key, kOnionPinPrefix);
}
std::string onion_pin_key(std::string_view plane) {
  return pin_key(kOnionPinPrefix, plane);
}
std::optional<std::string> client_pin_plane(std::string_view key) {
  return pin_plane(key, kClientPinPrefix);
}
std::string client_pin_key(std::string_view plane) {
  return pin_key(kClientPinPrefix, plane);
}

bool is_service_name(std::string_view s) {
  bool ok = !s.empty() && s.size() <= 63 && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'));
  for (char c : s)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
  return ok;
}

std::optional<TunnelDestination> parse_tunnel_destination(std::string_view text) {
  const auto at = text.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const auto colon = text.rfind(':', at);
  if (colon == std::string_view::npos) return std::nullopt;
  TunnelDestination d{std::string(text.substr(0, colon)), 0, std::string(text.substr(at + 1))};
  const std::string_view port = text.substr(colon + 1, at - colon - 1);
  if (!is_service_name(d.service) || !is_service_name(d.cluster) || port.empty() || port.size() > 5 ||
      port.front() == '0')
    return std::nullopt;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  d.port = static_cast<std::uint16_t>(value);
  return d;
}

}  // namespace lucid::fleet
