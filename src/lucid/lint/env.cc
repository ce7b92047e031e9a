// env/*: each cluster's .env has exactly SPEC-4's template keys, CLUSTER_ID is the cluster's id,
// PROFILES names known profiles, secret-looking keys hold enc:sops: references that exist, onion
// pins are valid and unique.
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/crypto/onion_address.h"
#include "lucid/lint/checks.h"

namespace lucid::lint {
namespace {

// SPEC-4 "Appendix — profile map & env".
constexpr std::string_view kTemplate[] = {
    "CLUSTER_ID", "PROFILES",    "BETA_PLANES",   "TOR_SOCKS",     "MONGO_RS",      "MONGO_SHARD_RANGE",
    "TRON_MODE",  "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "LEDGER_PUBKEYS"};
// Site facts a cluster may set beyond the template (renders read only the .env, never the host's
// environment): DOCKER_GID, the host's docker group that beta joins to read the engine socket.
// The data chain's settings, for clusters with the blockchain profile only (chain_env.cc checks them;
// deploy/README.md "The data chain").
constexpr std::string_view kOptional[] = {
    "DOCKER_GID", "CHAIN_ID", "CHAIN_VALIDATORS", "CHAIN_GENESIS_TIME_MS", "CHAIN_VALIDATOR_SEED",
    "CHAIN_EXECUTOR_SEED", "CHAIN_ETCD_CLUSTER", "CHAIN_ETCD_PEER_URL", "CHAIN_ETCD_HEARTBEAT_MS",
    "CHAIN_ETCD_ELECTION_MS",
    // sessions-gateway's settings, for clusters with the sessions profile only (sessions_env.cc checks
    // them; deploy/README.md "The sessions group").
    "SESSIONS_NODE_KEYS", "SESSIONS_POLICY_PINS", "SESSIONS_TOKEN_SEED"};
// Template keys whose value is `enc:sops` although their name does not look secret.
constexpr std::string_view kTemplateSecrets[] = {"LEDGER_PUBKEYS"};

bool in(std::string_view key, auto& list) {
  return std::find(std::begin(list), std::end(list), key) != std::end(list);
}

bool secret_looking(std::string_view key) {
  return key.ends_with("_KEY") || key.ends_with("_SECRET") || key.ends_with("_TOKEN") ||
         key.ends_with("_SEED") || key.find("PASSWORD") != std::string_view::npos ||
         in(key, kTemplateSecrets);
}

// The node at `dotted` in `root`, or nullptr.
const yaml::Node* lookup(const yaml::Node& root, std::string_view dotted) {
  const yaml::Node* n = &root;
  for (;;) {
    auto dot = dotted.find('.');
    n = n->find(dotted.substr(0, dot));
    if (!n || dot == std::string_view::npos) return n;
    dotted.remove_prefix(dot + 1);
  }
}

void check_ref(const Context& ctx, const fleet::EnvEntry& e, Sink& sink) {
  auto ref = fleet::parse_secret_ref(*e.value);
  if (!ref) {
    sink.add(e.mark, "env/secret-ref", fmt::format("{}: malformed secret reference", e.key),
             "write enc:sops:<file under secrets/>#<dotted.key.path>");
    return;
  }
  auto file = ctx.model.secrets.find(ref->file);
  if (file == ctx.model.secrets.end()) {
    sink.add(e.mark, "env/secret-ref",
             fmt::format("{}: secrets/{} is missing or unreadable", e.key, ref->file),
             "create it with SOPS (age), or fix the file name");
    return;
  }
  const yaml::Node* n = lookup(*file->second.root, ref->path);
  if (!n)
    sink.add(e.mark, "env/secret-ref",
             fmt::format("{}: secrets/{} has no key '{}'", e.key, ref->file, ref->path),
             "add the key to the secrets file (sops edit), or fix the dotted path");
  else if (!n->is_scalar())
    sink.add(
        e.mark, "env/secret-ref",
        fmt::format("{}: '{}' in secrets/{} is a mapping or list, not a value", e.key, ref->path, ref->file),
        "reference a leaf key");
}

void check_cluster(const Context& ctx, const fleet::Cluster& c, Sink& sink) {
  std::map<std::string_view, const fleet::EnvEntry*> last;
  for (const auto& e : c.env->entries) {
    if (!in(e.key, kTemplate) && !in(e.key, kOptional) && !fleet::onion_pin_plane(e.key) &&
        !fleet::client_pin_plane(e.key))
      sink.add(e.mark, "env/keys", fmt::format("{} is not a key of the cluster .env template", e.key),
               "the keys are exactly SPEC-4's template (deploy/README.md) plus DOCKER_GID, the chain's "
               "CHAIN_* and the sessions group's SESSIONS_* settings and the BETA_ONION_<PLANE> and "
               "BETA_CLIENT_<PLANE> pins; put other "
               "settings elsewhere");
    else if (last.contains(e.key))
      sink.add(e.mark, "env/keys",
               fmt::format("{} is set twice (first at line {})", e.key, last[e.key]->mark.line),
               "keep one line per key");
    last[e.key] = &e;
  }
  for (auto key : kTemplate)
    if (!last.contains(key))
      sink.add_file(c.env_path, "env/keys", fmt::format("{} is missing (cluster {})", key, c.id.value),
                    fmt::format("add {}=… as in SPEC-4's template", key));
  for (const auto& [key, e] : last) {
    if (!e->value) {
      sink.add(e->mark, "env/keys", fmt::format("{} has no value", key), "write KEY=VALUE");
      continue;
    }
    const std::string& v = *e->value;
    if (key == "CLUSTER_ID" && v != c.id.value)
      sink.add(e->mark, "env/cluster-id",
               fmt::format("CLUSTER_ID is '{}' but the cluster is '{}'", v, c.id.value),
               "CLUSTER_ID must equal the directory name and the id in clusters.yaml");
    if (key == "PROFILES") {
      auto profiles = split_list(v);
      if (profiles.empty())
        sink.add(e->mark, "env/profiles", "PROFILES is empty",
                 "name at least one profile of policies/profiles.yaml");
      for (const auto& p : profiles)
        if (!ctx.policy.known_profile(p))
          sink.add(e->mark, "env/profiles", fmt::format("PROFILES names unknown profile '{}'", p),
                   "use profiles defined in policies/profiles.yaml");
    }
    bool is_ref = v.starts_with("enc:sops");
    if (secret_looking(key) && !is_ref)
      sink.add(e->mark, "env/secret-plain",
               fmt::format("{} looks secret but does not hold an enc:sops: reference", key),
               "move the value into secrets/<id>.enc.yaml (sops) and write enc:sops:<file>#<key.path> here");
    if (is_ref) check_ref(ctx, *e, sink);
  }
}

// BETA_ONION_<PLANE> pins: a v3 address (checksum included) of a plane the cluster publishes, and no
// address pinned twice in the repo (other clusters' betas relay to it as that cluster's plane).
void check_onion_pins(const Context& ctx, Sink& sink) {
  std::map<std::string, std::string> pinned;  // address -> "<cluster> <key>" of its first pin
  for (const auto& c : ctx.model.clusters) {
    if (!c.env) continue;
    const auto values = fleet::resolve_env_file(*c.env);
    std::vector<std::string> planes;
    if (auto p = values.find("BETA_PLANES"); p != values.end() && p->second) planes = split_list(*p->second);
    for (const auto& e : c.env->entries) {
      const auto onion_plane = fleet::onion_pin_plane(e.key);
      const auto plane = onion_plane ? onion_plane : fleet::client_pin_plane(e.key);
      if (!plane || !e.value) continue;
      if (std::find(planes.begin(), planes.end(), *plane) == planes.end())
        sink.add(e.mark, "env/onion-pins",
                 fmt::format("{} pins the {} plane, which BETA_PLANES ({}) does not publish", e.key, *plane,
                             fmt::join(planes, ",")),
                 "remove the pin, or add the plane to BETA_PLANES");
      if (!onion_plane) {  // a client authorization key
        if (auto key = crypto::parse_client_auth_key(*e.value); !key)
          sink.add(e.mark, "env/onion-pins", fmt::format("{}: {}", e.key, key.error().message),
                   "copy the line `betactl onions --pins` prints on that site");
        continue;
      }
      auto key = crypto::parse_onion_address(*e.value);
      if (!key) {
        sink.add(e.mark, "env/onion-pins",
                 fmt::format("{}: '{}' is not a v3 onion address: {}", e.key, e.value->substr(0, 80),
                             key.error().message),
                 "copy the line `betactl onions --pins` prints on that site");
        continue;
      }
      const std::string address = crypto::onion_address(*key);
      const std::string who = fmt::format("{} {}", c.id.value, e.key);
      if (auto [first, inserted] = pinned.emplace(address, who); !inserted)
        sink.add(e.mark, "env/onion-pins",
                 fmt::format("{} pins {}.onion, already pinned by {}", e.key, address, first->second),
                 "each plane of each cluster has its own onion key: copy the right site's address");
    }
  }
}

}  // namespace

void check_env(const Context& ctx, Sink& sink) {
  for (const auto& c : ctx.model.clusters)
    if (c.env) check_cluster(ctx, c, sink);
  check_onion_pins(ctx, sink);
}

}  // namespace lucid::lint
