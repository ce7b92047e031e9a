#include "lucid/lint/lint.h"

#include <algorithm>
#include <tuple>

#include "lucid/lint/checks.h"

namespace lucid::lint {

using fleet::Severity;

const std::vector<RuleInfo>& rules() {
  static const std::vector<RuleInfo> kRules = {
      {"policy/shape", Severity::kError, "policies/profiles.yaml and acl.yaml exist and have their fields"},
      {"labels/missing", Severity::kError, "every service has com.lucid.plane, .service and .expose"},
      {"labels/invalid", Severity::kError, "known plane, the service's own name, TCP port list"},
      {"labels/expose-mismatch", Severity::kWarning, "each com.lucid.expose port is also under expose:"},
      {"profiles/missing", Severity::kError, "every service is in at least one known profile"},
      {"profiles/unknown", Severity::kError, "profile names are defined in policies/profiles.yaml"},
      {"profiles/beta", Severity::kError, "beta (policy `always`) is in every profile"},
      {"profiles/allow-list", Severity::kError, "a profile enables only the services of its allow-list"},
      {"planes/internal", Severity::kError, "each plane has an internal network of its name"},
      {"planes/network", Severity::kError, "a service joins only its own plane's network"},
      {"planes/bridge", Severity::kError, "no service joins two plane networks (beta by policy)"},
      {"planes/depends", Severity::kError, "depends_on and links stay inside a plane"},
      {"planes/wallet-acl", Severity::kError, "deny-by-default planes: only ACL-allowed pairs"},
      {"planes/acl-links", Severity::kError, "policy links name existing services on their plane"},
      {"planes/tunnels", Severity::kError,
       "policies/tunnels.yaml: clusters that serve the plane, a pinned destination, an exposed port"},
      {"deps/undefined", Severity::kError, "depends_on and links name defined services"},
      {"deps/cycle", Severity::kError, "depends_on has no cycle"},
      {"deps/profile", Severity::kError, "a dependency is enabled in every profile of its dependent"},
      {"net/udp", Severity::kError, "no UDP/QUIC (non-TCP) port or expose entry"},
      {"net/host-ports", Severity::kWarning, "no host-published ports: (use expose:)"},
      {"image/unpinned", Severity::kError, "images are pinned by @sha256:<64 hex>"},
      {"hardening/user", Severity::kError, "a non-root user: is set"},
      {"hardening/read-only", Severity::kError, "read_only: true"},
      {"hardening/cap-drop", Severity::kError, "cap_drop includes ALL"},
      {"hardening/no-new-privileges", Severity::kError, "security_opt has no-new-privileges:true"},
      {"hardening/tmpfs-owner", Severity::kError, "a non-root service's tmpfs mounts carry its uid="},
      {"health/exec-form", Severity::kError, "an exec-form healthcheck ([\"CMD\", …])"},
      {"privileged/privileged", Severity::kError, "no privileged: true"},
      {"privileged/host-namespace", Severity::kError, "no host network, PID, IPC or user namespace"},
      {"privileged/docker-socket", Severity::kError, "no docker socket mount unless policy grants it"},
      {"privileged/cap-add", Severity::kError, "no cap_add unless policy grants that capability"},
      {"privileged/devices", Severity::kError, "no devices"},
      {"privileged/group-add", Severity::kError, "no group_add unless policy grants that group"},
      {"compose/missing-file", Severity::kError, "env_file and extends files exist"},
      {"interp/invalid", Severity::kError, "${…} templates are valid Compose 1.29 syntax"},
      {"interp/undefined", Severity::kError, "every variable without default is set by every cluster"},
      {"interp/required", Severity::kError, "every ${VAR:?…} is set by every cluster"},
      {"env/keys", Severity::kError, "a cluster .env has exactly the SPEC-4 template keys, once each"},
      {"env/cluster-id", Severity::kError, "CLUSTER_ID equals the cluster's id"},
      {"env/profiles", Severity::kError, "PROFILES names only known profiles"},
      {"env/secret-plain", Severity::kError, "secret-looking keys hold enc:sops: references"},
      {"env/secret-ref", Severity::kError, "each enc:sops: reference names an existing secret key"},
      {"env/onion-pins", Severity::kError,
       "BETA_ONION_<PLANE> / BETA_CLIENT_<PLANE> pin a v3 onion / client key of a plane in BETA_PLANES"},
      {"env/chain", Severity::kError,
       "blockchain clusters set the chain's genesis, validator seed and etcd member; one chain's clusters "
       "agree "
       "and reach the other members through tunnels"},
      {"env/sessions", Severity::kError,
       "sessions clusters set the nodes admitted, policy pins of snapshots in policies/privacy/ and their "
       "own token key"},
      {"secrets/encrypted", Severity::kError, "every secrets value is ENC[AES256_GCM,…] unless _unencrypted"},
      {"secrets/sops-metadata", Severity::kError, "a sops block with age recipients, lastmodified, mac"},
      {"clusters/duplicate-id", Severity::kError, "cluster ids are unique"},
      {"clusters/missing-dir", Severity::kError, "clusters/<id>/ exists for every cluster"},
      {"clusters/unknown-wave", Severity::kError, "waves are SPEC waves; clusters name a defined wave"},
      {"clusters/wave-order", Severity::kError, "waves are listed in SPEC order, once each"},
      {"clusters/profiles-mismatch", Severity::kError, "clusters.yaml profiles equal the .env PROFILES"},
      {"clusters/rollout-fields", Severity::kError,
       "soak, stale_after and anchor_latency_budget are durations; a wave with the anchor-latency gate has a "
       "budget; status is an http(s) URL"},
  };
  return kRules;
}

const RuleInfo* find_rule(std::string_view id) {
  for (const auto& r : rules())
    if (r.id == id) return &r;
  return nullptr;
}

void sort_findings(std::vector<fleet::Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const fleet::Finding& a, const fleet::Finding& b) {
    return std::tie(a.file, a.line, a.col, a.rule_id, a.message) <
           std::tie(b.file, b.line, b.col, b.rule_id, b.message);
  });
}

std::vector<fleet::Finding> lint(const fleet::Model& model) {
  std::vector<fleet::Finding> out = model.findings;
  Context ctx(model, out);
  Sink sink(out);
  check_labels(ctx, sink);
  check_profiles(ctx, sink);
  check_planes(ctx, sink);
  check_deps(ctx, sink);
  check_network(ctx, sink);
  check_image(ctx, sink);
  check_hardening(ctx, sink);
  check_privileged(ctx, sink);
  check_files(ctx, sink);
  check_interp(ctx, sink);
  check_env(ctx, sink);
  check_chain_env(ctx, sink);
  check_sessions_env(ctx, sink);
  check_secrets(ctx, sink);
  check_clusters(ctx, sink);
  check_tunnels(ctx, sink);
  sort_findings(out);
  return out;
}

std::vector<fleet::Finding> lint_repo(const std::filesystem::path& repo) {
  return lint(fleet::load_model(repo));
}

}  // namespace lucid::lint
