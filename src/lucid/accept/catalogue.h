// Which acceptance checks a cluster runs: SPEC-4 "Acceptance checks (per cluster)" per profile, plus
// the checks every cluster runs (no UDP from labelled containers, beta onions per plane, wallet
// isolation). Each check names the services it needs; whether Lucid has a probe for it is `probe`.
#pragma once

#include <string>
#include <vector>

namespace lucid::accept {

enum class Probe {
  kNone,                  // no probe yet: always not-implemented, naming what is missing
  kSamplePayload,         // node: a generated recording sealed by node-worker and verified
  kEncodeCpu,             // node: needs a recorder service (none exists); not-implemented until one runs
  kNoUdp,                 // every cluster: UDP from a labelled container on each plane network
  kBetaOnions,            // every cluster: beta publishes one onion per plane of the cluster
  kWalletIsolation,       // every cluster: connections on the wallet network are refused by default
  kConsensusStable,       // blockchain: the validator follows, finalizes and has seen no incident
  kVmAbiTests,            // blockchain: the VM's ABI self-test (ethers' vectors, contract cases) passes
  kSessionsDataCaughtUp,  // blockchain: the anchor indexer is within its lag of the final height
};

struct CheckSpec {
  std::string id;       // "<profile>.<name>", stable (gates and the console key on it)
  std::string profile;  // a SPEC-4 profile, or "cluster"
  std::string title;
  std::vector<std::string> services;  // services the check needs (policies/profiles.yaml names)
  Probe probe = Probe::kNone;
};

// Every check Lucid knows, in report order: the per-cluster checks, then the profiles' in SPEC order.
const std::vector<CheckSpec>& all_checks();

// The checks of a cluster with `profiles`: the "cluster" ones, then each profile's (in all_checks()
// order, each once). Unknown profile names add nothing here; `unknown` receives them (sorted, unique).
std::vector<CheckSpec> select_checks(const std::vector<std::string>& profiles,
                                     std::vector<std::string>* unknown = nullptr);

}  // namespace lucid::accept
