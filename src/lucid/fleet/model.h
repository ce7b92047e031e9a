// The config repo (`deploy/`) as one Model: the compose file, clusters and waves, each cluster's
// .env, policies and secrets files, every value with its file:line:col. Loading never fails: what
// cannot be read becomes a load finding (rule ids `load/*`) and the rest is still loaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lucid/fleet/compose.h"
#include "lucid/fleet/env_file.h"
#include "lucid/fleet/finding.h"
#include "lucid/yaml/node.h"

namespace lucid::fleet {

// Where things live inside a config repo (SPEC-4 "GitOps assets & repos").
inline constexpr const char* kComposePath = "infrastructure/compose/docker-compose.yml";
inline constexpr const char* kClustersPath = "clusters/clusters.yaml";
inline constexpr const char* kPoliciesDir = "policies";
inline constexpr const char* kSecretsDir = "secrets";

struct Wave {
  LString name, ref;
  std::vector<LString> gates;
  // durations (rollout/fleet_definition.h reads them)
  std::optional<LString> soak, stale_after, anchor_latency_budget;
};

struct Cluster {
  LString id;
  LString wave;
  std::vector<LString> profiles;
  std::optional<LString> docker_host;
  std::optional<LString> status;  // URL of the site reconciler's /status (the console polls it)
  std::vector<std::pair<LString, LString>> labels;
  // clusters/<id>/.env, when present.
  std::optional<EnvFile> env;
  std::string env_path;  // relative to the repo root
};

// A YAML file of the repo kept as a tree (policies, secrets): lint reads the fields it checks.
struct YamlFile {
  std::string path;  // relative to the repo root
  std::shared_ptr<const yaml::Node> root;
};

struct Model {
  std::filesystem::path repo;  // as given
  std::optional<ComposeFile> compose;
  std::vector<Wave> waves;
  std::vector<Cluster> clusters;
  std::map<std::string, YamlFile> policies;  // file name ("profiles.yaml") → tree
  std::map<std::string, YamlFile> secrets;   // file name ("edge-node-eu-1.enc.yaml") → tree
  std::vector<Finding> findings;             // load findings

  const Cluster* find_cluster(std::string_view id) const;
};

// Loads the repo at `repo`. File names in marks and findings are relative to `repo`.
Model load_model(const std::filesystem::path& repo);

// Reads and parses one YAML file for the model; problems go to `findings` (rule `load/yaml`,
// `load/missing-file`) and the result is nullptr.
std::shared_ptr<const yaml::Node> load_yaml_file(const std::filesystem::path& repo, const std::string& rel,
                                                 std::vector<Finding>& findings, bool required = true);

// A secret reference `enc:sops:<file>#<dotted.path>` (docs/formats.md); nullopt when `value` is not one.
struct SecretRef {
  std::string file;  // a plain file name under secrets/
  std::string path;  // dotted key path
  std::string text() const { return "enc:sops:" + file + "#" + path; }
};
std::optional<SecretRef> parse_secret_ref(std::string_view value);

// A cluster's pin of one of its plane onions in clusters/<id>/.env: BETA_ONION_<PLANE>=<address>.onion
// (docs/formats.md "Onion pins"). The plane a key pins, in lower case ("BETA_ONION_OPS" → "ops"), or
// nullopt when the key is not a pin.
inline constexpr std::string_view kOnionPinPrefix = "BETA_ONION_";
std::optional<std::string> onion_pin_plane(std::string_view key);
// The pin key of `plane`: "ops" → "BETA_ONION_OPS".
std::string onion_pin_key(std::string_view plane);
// And of its Tor v3 client authorization key, BETA_CLIENT_<PLANE>=<52 base32> (`betactl onions
// --pins` prints both): other clusters' onions of that plane are readable by the pinned keys only.
inline constexpr std::string_view kClientPinPrefix = "BETA_CLIENT_";
std::optional<std::string> client_pin_plane(std::string_view key);
std::string client_pin_key(std::string_view plane);

// A service, plane or cluster name as beta and the tunnels accept it: [a-z0-9][a-z0-9._-]{0,62}.
bool is_service_name(std::string_view name);

// A tunnel's destination in policies/tunnels.yaml, "<service>:<container port>@<cluster>"
// (docs/formats.md "Tunnels"); nullopt when `text` is not of that form.
struct TunnelDestination {
  std::string service;
  std::uint16_t port = 0;
  std::string cluster;
};
std::optional<TunnelDestination> parse_tunnel_destination(std::string_view text);

}  // namespace lucid::fleet
