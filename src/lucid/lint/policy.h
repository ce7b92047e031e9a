// The policies lint enforces, read from the model's policies/*.yaml trees: profile allow-lists,
// planes and wallet ACLs, and the hardening exceptions; shape problems become `policy/shape` findings.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "lucid/fleet/finding.h"
#include "lucid/fleet/model.h"

namespace lucid::lint {

struct AclLink {
  fleet::LString from, to;
  std::string plane;
  bool bidirectional = false;
};

// What policies/privileged.yaml grants one service (anything absent stays refused).
struct Allowance {
  std::set<std::string> cap_add, group_add, networks, users;
  struct Mount {
    std::string source, target;
    bool read_only = false;
  };
  std::vector<Mount> mounts;
  bool privileged = false;
  std::set<std::string> host_namespaces;  // "network_mode", "pid", "ipc", "userns_mode"
  bool devices = false;
};

struct Policy {
  // profiles.yaml
  std::map<std::string, std::set<std::string>> profiles;  // profile → allowed services
  std::vector<std::string> always;                        // services in every profile (beta)
  bool have_allow_lists = true;  // false when profiles.yaml is unusable: only SPEC names are known
  // acl.yaml
  std::set<std::string> planes;
  std::string wallet_plane = "wallet";                          // the plane whose default is deny
  std::set<std::string> deny_planes;                            // planes with `default: deny`
  std::set<std::pair<std::string, std::string>> allowed_pairs;  // (caller, callee) on deny planes
  std::vector<AclLink> links;
  // privileged.yaml
  std::map<std::string, Allowance> allowances;

  bool known_profile(const std::string& p) const { return profiles.contains(p); }
  const Allowance* allowance(const std::string& service) const;
};

// Reads the policies of `model`; problems (missing file, wrong shape) go to `findings`.
Policy read_policy(const fleet::Model& model, std::vector<fleet::Finding>& findings);

}  // namespace lucid::lint
