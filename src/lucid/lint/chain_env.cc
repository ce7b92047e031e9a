// env/chain: the data chain's settings in the .env of the clusters that run the blockchain profile
// (deploy/README.md "The data chain"). Each such cluster names its chain's genesis, its validator
// key's seed and its etcd member; the clusters of one chain agree on the genesis and on the etcd
// cluster, hold distinct validator keys, and reach the members on other sites through tunnels.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/base/number.h"
#include "lucid/lint/checks.h"
#include "lucid/lint/cluster_env.h"

namespace lucid::lint {
namespace {

constexpr std::string_view kRule = "env/chain";
constexpr std::string_view kProfile = "blockchain";
// What a blockchain cluster must set; the compose file's empty defaults keep Compose working on the
// other clusters, so a missing key would only show as a service that cannot start.
constexpr std::string_view kRequired[] = {"CHAIN_ID", "CHAIN_VALIDATORS", "CHAIN_GENESIS_TIME_MS",
                                          "CHAIN_VALIDATOR_SEED", "CHAIN_ETCD_CLUSTER"};
// The peer URL this member advertises when CHAIN_ETCD_PEER_URL is not set (the compose default).
constexpr std::string_view kDefaultPeerUrl = "http://blockchain-etcd:2380";
// Keys that must agree on every cluster of one chain: etcd refuses a member whose initial cluster
// differs, and validators with different genesis documents are different chains.
constexpr std::string_view kShared[] = {"CHAIN_VALIDATORS", "CHAIN_GENESIS_TIME_MS", "CHAIN_ETCD_CLUSTER"};

// "name=http://host:port,…" → name → URL; nullopt (with a finding) when malformed.
std::optional<std::map<std::string, std::string>> parse_members(const ClusterEnv& c, Sink& sink) {
  std::map<std::string, std::string> members;
  for (const auto& part : split_list(c.value("CHAIN_ETCD_CLUSTER"))) {
    const auto eq = part.find('=');
    const std::string name = part.substr(0, eq);
    const std::string url = eq == std::string::npos ? std::string() : part.substr(eq + 1);
    if (eq == std::string::npos || !fleet::is_service_name(name) || !url.starts_with("http://") ||
        url.rfind(':') <= std::string_view("http://").size()) {
      c.add(sink, "CHAIN_ETCD_CLUSTER",
            fmt::format("CHAIN_ETCD_CLUSTER: '{}' is not <cluster id>=http://<host>:<port>",
                        part.substr(0, 120)),
            "one entry per member, e.g. core-chain-1=http://beta:12381");
      return std::nullopt;
    }
    if (!members.emplace(name, url).second) {
      c.add(sink, "CHAIN_ETCD_CLUSTER", fmt::format("CHAIN_ETCD_CLUSTER names member {} twice", name),
            "one entry per member");
      return std::nullopt;
    }
  }
  return members;
}

// The tunnels of policies/tunnels.yaml as (at, plane, listen) → "to".
std::map<std::tuple<std::string, std::string, std::string>, std::string> tunnels(const Context& ctx) {
  std::map<std::tuple<std::string, std::string, std::string>, std::string> out;
  auto file = ctx.model.policies.find("tunnels.yaml");
  if (file == ctx.model.policies.end() || !file->second.root) return out;
  const yaml::Node* list = file->second.root->find("tunnels");
  if (!list || !list->is_sequence()) return out;  // planes/tunnels reports it
  for (const auto& item : list->items) {
    auto field = [&](const char* key) {
      const yaml::Node* n = item.is_mapping() ? item.find(key) : nullptr;
      return n && n->is_scalar() ? n->value : std::string();
    };
    out[{field("at"), field("plane"), field("listen")}] = field("to");
  }
  return out;
}

void check_one(const Context& ctx, const ClusterEnv& c,
               const std::map<std::string, std::vector<const ClusterEnv*>>& chains, Sink& sink) {
  const std::string& id = c.cluster->id.value;
  for (auto key : kRequired)
    if (c.value(key).empty())
      c.add(sink, key, fmt::format("{} is missing (cluster {} runs the blockchain profile)", key, id),
            fmt::format("set {} in {} (deploy/README.md \"The data chain\")", key, c.cluster->env_path));

  if (const std::string chain_id = c.value("CHAIN_ID");
      !chain_id.empty() && !fleet::is_service_name(chain_id))
    c.add(sink, "CHAIN_ID",
          fmt::format("CHAIN_ID '{}' is not [a-z0-9][a-z0-9._-]{{0,62}}", chain_id.substr(0, 80)),
          "name the chain, e.g. lucid-core");
  std::set<std::string> validators;
  for (const auto& key : split_list(c.value("CHAIN_VALIDATORS")))
    if (!is_hex_key(key))
      c.add(sink, "CHAIN_VALIDATORS",
            fmt::format("CHAIN_VALIDATORS: '{}' is not an Ed25519 public key (64 lowercase hex digits)",
                        key.substr(0, 80)),
            "`lucid-blockchain-core keygen` prints a validator's public key");
    else if (!validators.insert(key).second)
      c.add(sink, "CHAIN_VALIDATORS", fmt::format("CHAIN_VALIDATORS names {} twice", key.substr(0, 16)),
            "each validator once");
  for (auto key : {"CHAIN_GENESIS_TIME_MS", "CHAIN_ETCD_HEARTBEAT_MS", "CHAIN_ETCD_ELECTION_MS"})
    if (const std::string v = c.value(key); !v.empty() && !parse_number<std::uint64_t>(v, key))
      c.add(sink, key, fmt::format("{}: '{}' is not a whole number of milliseconds", key, v.substr(0, 40)),
            "write digits only");
  // Unset, each is the compose file's default (etcd's own).
  auto timing = [&](std::string_view key, std::string_view fallback) {
    const std::string v = c.value(key);
    return parse_number<std::uint64_t>(v.empty() ? fallback : std::string_view(v), key);
  };
  const auto heartbeat = timing("CHAIN_ETCD_HEARTBEAT_MS", "100");
  const auto election = timing("CHAIN_ETCD_ELECTION_MS", "1000");
  if (heartbeat && election && *election < 5 * *heartbeat)
    c.add(
        sink, "CHAIN_ETCD_ELECTION_MS",
        fmt::format("CHAIN_ETCD_ELECTION_MS ({}) is below 5 x CHAIN_ETCD_HEARTBEAT_MS ({}); etcd refuses it",
                    *election, *heartbeat),
        "give the election timeout at least five heartbeats (over tor: 1000 and 10000)");

  const auto members = parse_members(c, sink);
  if (!members || members->empty()) return;
  const std::string peer_url =
      c.value("CHAIN_ETCD_PEER_URL").empty() ? std::string(kDefaultPeerUrl) : c.value("CHAIN_ETCD_PEER_URL");
  if (auto own = members->find(id); own == members->end())
    c.add(sink, "CHAIN_ETCD_CLUSTER",
          fmt::format("CHAIN_ETCD_CLUSTER does not name this cluster's member {}", id),
          fmt::format("add {}={} (the member is named after the cluster)", id, peer_url));
  else if (own->second != peer_url)
    c.add(sink, "CHAIN_ETCD_CLUSTER",
          fmt::format(
              "CHAIN_ETCD_CLUSTER gives member {} the URL {}, but it advertises {} (CHAIN_ETCD_PEER_URL)", id,
              own->second, peer_url),
          "the two must be equal, or etcd refuses to start");

  const auto routes = tunnels(ctx);
  const std::string chain_id = c.value("CHAIN_ID");
  const auto same_chain = chains.find(chain_id);
  for (const auto& [name, url] : *members) {
    if (name == id) continue;
    const bool on_chain =
        same_chain != chains.end() &&
        std::any_of(same_chain->second.begin(), same_chain->second.end(),
                    [&member = name](const ClusterEnv* other) { return other->cluster->id.value == member; });
    if (!on_chain) {
      c.add(sink, "CHAIN_ETCD_CLUSTER",
            fmt::format("CHAIN_ETCD_CLUSTER names member {}, which is no blockchain cluster of chain {}",
                        name, chain_id),
            "members are the clusters with the blockchain profile and the same CHAIN_ID");
      continue;
    }
    // Another site's member is reached through this cluster's beta: http://beta:<port>, a tunnel on
    // the chain plane to that cluster's etcd peer port.
    constexpr std::string_view kBeta = "http://beta:";
    const std::string port = url.starts_with(kBeta) ? url.substr(kBeta.size()) : std::string();
    const std::string expected = fmt::format("blockchain-etcd:2380@{}", name);
    auto route = routes.find({id, "chain", port});
    if (port.empty() || route == routes.end() || route->second != expected)
      c.add(sink, "CHAIN_ETCD_CLUSTER",
            fmt::format("member {} is at {}, but no tunnel of {} on the chain plane leads there to {}", name,
                        url, id, expected),
            fmt::format("add to policies/tunnels.yaml: {{at: {}, plane: chain, listen: <port>, to: {}}} and "
                        "name the member http://beta:<port>",
                        id, expected));
  }
}

}  // namespace

void check_chain_env(const Context& ctx, Sink& sink) {
  std::vector<ClusterEnv> clusters;
  for (const auto& c : ctx.model.clusters) {
    if (!c.env) continue;
    ClusterEnv chain(kRule, c);
    const auto profiles = split_list(chain.value("PROFILES"));
    if (std::find(profiles.begin(), profiles.end(), kProfile) != profiles.end()) {
      clusters.push_back(std::move(chain));
      continue;
    }
    for (const auto& e : c.env->entries)
      if (e.key.starts_with("CHAIN_"))
        sink.add(
            e.mark, kRule,
            fmt::format("{} is set, but cluster {} does not run the blockchain profile", e.key, c.id.value),
            "remove it, or add blockchain to PROFILES");
  }
  std::map<std::string, std::vector<const ClusterEnv*>> chains;  // CHAIN_ID → its clusters
  for (const auto& c : clusters)
    if (!c.value("CHAIN_ID").empty()) chains[c.value("CHAIN_ID")].push_back(&c);
  for (const auto& c : clusters) check_one(ctx, c, chains, sink);

  for (const auto& [chain_id, members] : chains) {
    const ClusterEnv& first = *members.front();
    std::map<std::string, std::string> seeds;  // validator seed reference → cluster
    for (const ClusterEnv* c : members) {
      for (auto key : kShared)
        if (c != &first && c->value(key) != first.value(key))
          c->add(sink, key,
                 fmt::format("{} differs from cluster {}'s; both run chain {}", key, first.cluster->id.value,
                             chain_id),
                 "every cluster of one chain has the same genesis and etcd cluster: copy the value");
      const std::string seed = c->value("CHAIN_VALIDATOR_SEED");
      if (seed.empty()) continue;
      if (auto [other, inserted] = seeds.emplace(seed, c->cluster->id.value); !inserted)
        c->add(
            sink, "CHAIN_VALIDATOR_SEED",
            fmt::format("CHAIN_VALIDATOR_SEED is the same reference as cluster {}'s: two validators, one key",
                        other->second),
            "each validator has its own key in its own cluster's secrets");
    }
  }
}

}  // namespace lucid::lint
