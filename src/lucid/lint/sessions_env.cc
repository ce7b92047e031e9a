// env/sessions: sessions-gateway's settings in the .env of the clusters that run the sessions profile
// (deploy/README.md "The sessions group"): the node keys admitted, the privacy policy pins — each the
// pin of a snapshot the repo holds in policies/privacy/ — and the token key's seed, its own per site.
#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lucid/base/canonical_json.h"
#include "lucid/base/files.h"
#include "lucid/base/json_fields.h"
#include "lucid/lint/checks.h"
#include "lucid/lint/cluster_env.h"
#include "lucid/sessions/mint_request.h"

namespace lucid::lint {
namespace {

constexpr std::string_view kRule = "env/sessions";
constexpr std::string_view kProfile = "sessions";
constexpr std::string_view kRequired[] = {"SESSIONS_NODE_KEYS", "SESSIONS_POLICY_PINS",
                                          "SESSIONS_TOKEN_SEED"};
constexpr std::string_view kSnapshotDir = "policies/privacy";

// The pin of the snapshot in `file` (`rel` in the repo): its text parsed as one JSON object, then
// hashed as sessions-gateway does.
Result<std::string> snapshot_pin(const std::filesystem::path& file, const std::string& rel) {
  auto text = read_text_file(file);
  if (!text) return std::unexpected(text.error());
  auto policy = parse_json_object(*text, rel, sessions::kMaxPolicyDepth);
  if (!policy) return std::unexpected(policy.error());
  // policy_hash's errors speak of a mint request; canonical JSON's, prefixed here, of the file.
  if (auto canonical = canonical_json(*policy); !canonical)
    return fail(ErrorKind::kInvalidArgument, fmt::format("{}: {}", rel, canonical.error().message));
  return sessions::policy_hash(*policy);
}

// The pins of the snapshots in policies/privacy/*.json (pin → file); a snapshot that cannot be read
// or is not a policy object is a finding on its file.
std::map<std::string, std::string> snapshot_pins(const Context& ctx, Sink& sink) {
  std::map<std::string, std::string> pins;
  std::error_code ec;
  const std::filesystem::path dir = ctx.model.repo / kSnapshotDir;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const std::string rel = fmt::format("{}/{}", kSnapshotDir, file.filename().string());
    auto pin = snapshot_pin(file, rel);
    if (!pin) {
      sink.add_file(rel, kRule, fmt::format("privacy policy snapshot: {}", pin.error().message),
                    fmt::format("a snapshot is one JSON object, nested at most {} deep, with integers below "
                                "2^53 and no fractions; fix or remove the file",
                                sessions::kMaxPolicyDepth));
      continue;
    }
    pins.emplace(*pin, rel);
  }
  return pins;
}

void check_one(const ClusterEnv& c, const std::map<std::string, std::string>& snapshots, Sink& sink) {
  const std::string& id = c.cluster->id.value;
  for (auto key : kRequired)
    if (c.value(key).empty())
      c.add(sink, key, fmt::format("{} is missing (cluster {} runs the sessions profile)", key, id),
            fmt::format("set {} in {} (deploy/README.md \"The sessions group\")", key, c.cluster->env_path));
    else if (key != "SESSIONS_TOKEN_SEED" && split_list(c.value(key)).empty())
      c.add(sink, key, fmt::format("{} lists nothing (cluster {} runs the sessions profile)", key, id),
            "name at least one, comma-separated");
  std::set<std::string> nodes;
  for (const auto& key : split_list(c.value("SESSIONS_NODE_KEYS")))
    if (!is_hex_key(key))
      c.add(sink, "SESSIONS_NODE_KEYS",
            fmt::format("SESSIONS_NODE_KEYS: '{}' is not an Ed25519 public key (64 lowercase hex digits)",
                        key.substr(0, 80)),
            "a node-worker prints its public key at first start (SPOOL/node.key.pub)");
    else if (!nodes.insert(key).second)
      c.add(sink, "SESSIONS_NODE_KEYS", fmt::format("SESSIONS_NODE_KEYS names {} twice", key.substr(0, 16)),
            "each node once");
  for (const auto& pin : split_list(c.value("SESSIONS_POLICY_PINS")))
    if (!is_hex_key(pin))
      c.add(sink, "SESSIONS_POLICY_PINS",
            fmt::format("SESSIONS_POLICY_PINS: '{}' is not a policy pin (64 lowercase hex digits)",
                        pin.substr(0, 80)),
            "`lucid-sessions-gateway policy-hash FILE` prints a snapshot's pin");
    else if (!snapshots.contains(pin))
      c.add(sink, "SESSIONS_POLICY_PINS",
            fmt::format("SESSIONS_POLICY_PINS: pin {}… is not the pin of a snapshot in {}/",
                        pin.substr(0, 16), kSnapshotDir),
            fmt::format("add the snapshot to {}/ (nodes must be able to read what they run under), or print "
                        "a snapshot's pin with `lucid-sessions-gateway policy-hash FILE`",
                        kSnapshotDir));
}

}  // namespace

void check_sessions_env(const Context& ctx, Sink& sink) {
  std::vector<ClusterEnv> clusters;
  for (const auto& c : ctx.model.clusters) {
    if (!c.env) continue;
    ClusterEnv sessions(kRule, c);
    const auto profiles = split_list(sessions.value("PROFILES"));
    if (std::find(profiles.begin(), profiles.end(), kProfile) != profiles.end()) {
      clusters.push_back(std::move(sessions));
      continue;
    }
    for (const auto& e : c.env->entries)
      if (e.key.starts_with("SESSIONS_"))
        sink.add(
            e.mark, kRule,
            fmt::format("{} is set, but cluster {} does not run the sessions profile", e.key, c.id.value),
            "remove it, or add sessions to PROFILES");
  }
  // The snapshots are checked on every repo: a broken one is a finding before any site pins it.
  const auto snapshots = snapshot_pins(ctx, sink);
  std::map<std::string, std::string> seeds;  // token seed reference → cluster
  for (const auto& c : clusters) {
    check_one(c, snapshots, sink);
    const std::string seed = c.value("SESSIONS_TOKEN_SEED");
    if (seed.empty()) continue;
    if (auto [other, inserted] = seeds.emplace(seed, c.cluster->id.value); !inserted)
      c.add(sink, "SESSIONS_TOKEN_SEED",
            fmt::format("SESSIONS_TOKEN_SEED is the same reference as cluster {}'s: two gateways, one key",
                        other->second),
            "each site's gateway signs with its own key, in its own cluster's secrets");
  }
}

}  // namespace lucid::lint
