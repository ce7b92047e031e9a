#include "lucid/accept/catalogue.h"

#include <algorithm>
#include <set>

namespace lucid::accept {

const std::vector<CheckSpec>& all_checks() {
  // Service names are those of deploy/policies/profiles.yaml. A check with Probe::kNone reports
  // not-implemented even when its services run: Lucid has no probe for it yet.
  static const std::vector<CheckSpec> kChecks = {
      {"cluster.no-udp", "cluster", "no UDP from labelled containers", {"beta"}, Probe::kNoUdp},
      {"cluster.beta-onions", "cluster", "beta onions per plane", {"beta"}, Probe::kBetaOnions},
      {"cluster.wallet-isolation",
       "cluster",
       "wallet isolation probe",
       {"walletd", "tron-node"},
       Probe::kWalletIsolation},

      {"blockchain.consensus-stable",
       "blockchain",
       "consensus stable",
       {"blockchain-core"},
       Probe::kConsensusStable},
      {"blockchain.vm-abi-tests",
       "blockchain",
       "VM ABI tests pass",
       {"blockchain-virtual-machine"},
       Probe::kVmAbiTests},
      {"blockchain.sessions-data-caught-up",
       "blockchain",
       "sessions-data caught up",
       {"blockchain-sessions-data"},
       Probe::kSessionsDataCaughtUp},

      {"sessions.merkle-vectors", "sessions", "Merkle vectors match", {"sessions-manifests"}, Probe::kNone},
      {"sessions.anchors-present",
       "sessions",
       "anchors present",
       {"sessions-manifests", "blockchain-ledger"},
       Probe::kNone},
      {"sessions.index-queries", "sessions", "index queries OK", {"sessions-index"}, Probe::kNone},

      {"node.sample-payload-sealed",
       "node",
       "sample payload sealed and verified",
       {"node-worker"},
       Probe::kSamplePayload},
      {"node.encode-cpu",
       "node",
       "encode CPU within budget when a recorder runs",
       {"recorder"},
       Probe::kEncodeCpu},
      {"node.dht-availability", "node", "DHT availability >= target", {"node-data-host"}, Probe::kNone},
      {"node.sample-payload-anchored",
       "node",
       "sample payloads anchored",
       {"node-worker", "sessions-manifests", "blockchain-ledger"},
       Probe::kNone},

      {"admin.payout-dry-run", "admin", "payout dry-run passes", {"walletd", "node-economy"}, Probe::kNone},
      {"admin.keys-rotate", "admin", "keys rotate", {"walletd"}, Probe::kNone},
      {"admin.observer-scoped", "admin", "observer scoped", {"observer"}, Probe::kNone},

      {"observability.scrapes-via-onion", "observability", "scrapes via onion", {"metrics"}, Probe::kNone},
      {"observability.alerts-deliver", "observability", "alerts deliver", {"metrics", "logs"}, Probe::kNone},
      {"observability.anomaly-rate",
       "observability",
       "anomaly rate within threshold",
       {"anomaly"},
       Probe::kNone},

      {"relay.directory-converges", "relay", "directory converges", {"cloud-relay"}, Probe::kNone},
      {"relay.mongos-cross-cluster", "relay", "mongos queries cross-cluster", {"mongos-onion"}, Probe::kNone},
  };
  return kChecks;
}

std::vector<CheckSpec> select_checks(const std::vector<std::string>& profiles,
                                     std::vector<std::string>* unknown) {
  std::set<std::string> wanted(profiles.begin(), profiles.end());
  std::set<std::string> known;
  std::vector<CheckSpec> out;
  for (const auto& c : all_checks()) {
    known.insert(c.profile);
    if (c.profile == "cluster" || wanted.contains(c.profile)) out.push_back(c);
  }
  if (unknown) {
    unknown->clear();
    for (const auto& p : wanted)
      if (!known.contains(p) || p == "cluster") unknown->push_back(p);
  }
  return out;
}

}  // namespace lucid::accept
