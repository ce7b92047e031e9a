// lucidctl accept: the SPEC-4 acceptance checks of one site (src/lucid/accept), printed and written
// to <state-dir>/acceptance/<cluster>.json. `accept probe …` (hidden) is what runs inside the probe
// containers the checks start: the probe image holds this very binary.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lucid/accept/net_probe.h"
#include "lucid/accept/report.h"
#include "lucid/accept/runner.h"
#include "lucid/accept/site.h"
#include "lucid/engine/docker_client.h"

namespace lucidctl {
namespace {

namespace acc = lucid::accept;

struct AcceptArgs {
  std::string cluster, state_dir = "/var/lib/lucid", repo_checkout;
  bool json = false, no_write = false;
  int seal_timeout_s = 60, datagrams = 10, ban_grace_ms = 3000, consensus_window_s = 5;
  double sample_mib = 20;
};

struct ProbeArgs {
  int port = 47000, timeout_ms = 30000, count = 10, delay_ms = 0;
  std::string to, tag = "probe";
  bool end = false;
  std::vector<std::string> targets;
};

const char* label(acc::Outcome o) {
  switch (o) {
    case acc::Outcome::kPass:
      return "PASS";
    case acc::Outcome::kFail:
      return "FAIL";
    case acc::Outcome::kNotImplemented:
      return "N/I ";
  }
  return "?";
}

void print_text(const acc::Report& r) {
  fmt::print("accept {} ({}{}), profiles {}, planes {}\n", r.cluster, r.source,
             r.commit.empty() ? "" : " " + r.commit.substr(0, 12), fmt::join(r.profiles, ","),
             fmt::join(r.planes, ","));
  for (const auto& c : r.checks) {
    fmt::print("{}  {:<36} {}\n", label(c.outcome), c.id, c.title);
    fmt::print("      {}\n", c.evidence);
  }
  fmt::print("{} pass, {} fail, {} not implemented\n", r.count(acc::Outcome::kPass),
             r.count(acc::Outcome::kFail), r.count(acc::Outcome::kNotImplemented));
}

int run_accept(const AcceptArgs& a) {
  if (a.cluster.empty()) {
    fmt::print(stderr, "lucidctl accept: --cluster ID is required (an id of clusters/clusters.yaml)\n");
    return 2;
  }
  if (a.datagrams < 1 || a.datagrams > 1000 || a.seal_timeout_s < 1 || a.sample_mib <= 0 ||
      a.sample_mib > 256 || a.ban_grace_ms < 0 || a.ban_grace_ms > 60000) {
    fmt::print(
        stderr,
        "lucidctl accept: out of range: --datagrams 1..1000, --seal-timeout >= 1, --sample-mib (0, 256], "
        "--ban-grace-ms 0..60000\n");
    return 2;
  }
  acc::SiteOptions so;
  so.cluster = a.cluster;
  so.state_dir = a.state_dir;
  if (!a.repo_checkout.empty()) so.repo_checkout = a.repo_checkout;
  auto site = acc::load_site(so);
  if (!site) {
    fmt::print(stderr, "lucidctl accept: {}\n", site.error().message);
    return 2;
  }
  acc::ProbeSettings ps = acc::probe_settings_of_this_program();
  ps.udp_datagrams = a.datagrams;
  ps.ban_grace = std::chrono::milliseconds(a.ban_grace_ms);
  ps.seal_timeout = std::chrono::seconds(a.seal_timeout_s);
  ps.consensus_window = std::chrono::seconds(a.consensus_window_s);
  ps.sample_bytes = static_cast<std::size_t>(a.sample_mib * (1 << 20));
  ps.progress = [](const std::string& line) { fmt::print(stderr, "accept: {}\n", line); };
  lucid::engine::DockerClient docker;
  auto report = acc::run_acceptance(*site, docker, ps);
  if (!report) {
    fmt::print(stderr, "lucidctl accept: {}; is the Docker engine running and readable?\n",
               report.error().message);
    return 2;
  }
  if (a.json)
    fmt::print("{}\n", acc::to_json(*report).dump(2));
  else
    print_text(*report);
  if (!a.no_write) {
    if (auto s = acc::write_report(a.state_dir, *report); !s) {
      fmt::print(stderr, "lucidctl accept: results not written: {}\n", s.error().message);
      return 2;
    }
    if (!a.json) fmt::print("written to {}\n", acc::report_path(a.state_dir, a.cluster).string());
  }
  return report->ok() ? 0 : 1;
}

int print_probe(const lucid::Result<nlohmann::json>& r) {
  if (!r) {
    fmt::print(stderr, "probe: {}\n", r.error().message);
    return 2;
  }
  fmt::print("{}\n", r->dump());
  std::fflush(stdout);
  return 0;
}

void register_probe(CLI::App* accept, Context& ctx) {
  auto pa = std::make_shared<ProbeArgs>();
  auto* probe = accept->add_subcommand("probe", "What runs inside the probe containers (internal)");
  probe->group("");  // hidden: started by the checks, not by operators
  probe->require_subcommand(1);
  auto* listen = probe->add_subcommand("udp-listen", "Count UDP datagrams per sender tag");
  listen->add_option("--port", pa->port)->check(CLI::Range(1, 65535));
  listen->add_option("--timeout-ms", pa->timeout_ms)->check(CLI::Range(1, 600000));
  listen->callback([pa, &ctx] {
    ctx.exit_code = print_probe(
        acc::udp_listen(static_cast<std::uint16_t>(pa->port), std::chrono::milliseconds(pa->timeout_ms)));
  });
  auto* send = probe->add_subcommand("udp-send", "Send tagged UDP datagrams");
  send->add_option("--to", pa->to)->required();
  send->add_option("--count", pa->count)->check(CLI::Range(1, 100000));
  send->add_option("--tag", pa->tag);
  send->add_option("--delay-ms", pa->delay_ms)->check(CLI::Range(0, 600000));
  send->add_flag("--end", pa->end);
  send->callback([pa, &ctx] {
    ctx.exit_code = print_probe(
        acc::udp_send(pa->to, pa->count, pa->tag, std::chrono::milliseconds(pa->delay_ms), pa->end));
  });
  auto* tcp = probe->add_subcommand("tcp-connect", "One TCP connect per IPv4:PORT");
  tcp->add_option("--timeout-ms", pa->timeout_ms)->check(CLI::Range(1, 60000));
  tcp->add_option("--delay-ms", pa->delay_ms)->check(CLI::Range(0, 600000));
  tcp->add_option("targets", pa->targets)->required();
  tcp->callback([pa, &ctx] {
    ctx.exit_code = print_probe(acc::tcp_connect(pa->targets, std::chrono::milliseconds(pa->timeout_ms),
                                                 std::chrono::milliseconds(pa->delay_ms)));
  });
}

}  // namespace

void register_accept(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<AcceptArgs>();
  auto* cmd = app.add_subcommand(
      "accept", "Run the SPEC-4 acceptance checks of a site (pass / fail / not-implemented)");
  cmd->add_option("--cluster", a->cluster, "Cluster id (clusters/clusters.yaml); required");
  cmd->add_option(
      "--state-dir", a->state_dir,
      "The reconciler's state directory: state.db, mirror.git; results go to acceptance/ (default "
      "/var/lib/lucid)");
  cmd->add_option(
      "--repo-checkout", a->repo_checkout,
      "Read clusters.yaml, .env and policies from this config repo checkout instead of the last-good "
      "commit");
  cmd->add_flag("--json", a->json, "Print the results as JSON (the file's format)");
  cmd->add_flag("--no-write", a->no_write, "Do not write <state-dir>/acceptance/<cluster>.json");
  cmd->add_option("--seal-timeout", a->seal_timeout_s,
                  "Seconds node-worker gets to seal the sample (default 60)");
  cmd->add_option(
      "--sample-mib", a->sample_mib,
      "Size of the sample recording in MiB (default 20: three chunks at node-worker's default size)");
  cmd->add_option("--datagrams", a->datagrams, "UDP datagrams per sender and plane (default 10)");
  cmd->add_option("--consensus-window", a->consensus_window_s,
                  "Seconds between the two readings of blockchain.consensus-stable (default 5)")
      ->check(CLI::Range(1, 600));
  cmd->add_option("--ban-grace-ms", a->ban_grace_ms,
                  "How long the labelled UDP sender waits for beta to ban it before sending (default 3000)");
  cmd->footer(
      "Runs on the site, as root (it writes into a service volume and starts probe containers). The\n"
      "checks come from the cluster's profiles in clusters/clusters.yaml of the commit the site runs\n"
      "(the last-good commit in <state-dir>/state.db, read from <state-dir>/mirror.git), planes from\n"
      "BETA_PLANES of clusters/<id>/.env, services from policies/profiles.yaml. Each check reports\n"
      "pass, fail or not-implemented with one line of evidence; a probe that cannot run is a fail,\n"
      "never a pass, and not-implemented (never a pass either) names the missing service or probe.\n"
      "\n"
      "Every cluster:\n"
      "  cluster.no-udp            On each plane network of lucid-<cluster> a listener container counts\n"
      "                            UDP datagrams from a sender labelled like a service of that plane\n"
      "                            (com.lucid.plane/service, and beta's --scope-label), which waits\n"
      "                            --ban-grace-ms for beta's ban, and from an unlabelled control sender.\n"
      "                            Pass: 0 from the labelled one and all from the control. The probe\n"
      "                            containers run this binary (image lucid-accept/probe:<hash>, FROM\n"
      "                            scratch, built locally once, never pulled) and are removed after.\n"
      "  cluster.beta-onions       `betactl health` inside the beta container: pass when every plane\n"
      "                            of the cluster has a published onion of its own.\n"
      "  cluster.wallet-isolation  Not-implemented while no wallet-plane service runs; else TCP\n"
      "                            connects from a probe on the wallet network (as accept-probe@wallet)\n"
      "                            to every exposed port of each wallet service, judged against\n"
      "                            policies/acl.yaml (refused unless the policy allows it).\n"
      "node:\n"
      "  node.sample-payload-sealed  A generated recording (--sample-mib) is renamed into node-worker's\n"
      "                            spool inbox (volume lucid-<cluster>_node-worker-spool); pass when\n"
      "                            the session appears within --seal-timeout and verifies (every leaf,\n"
      "                            root, signature by the spool's node.key.pub). Timings are reported;\n"
      "                            the sample's session is removed after a pass, kept after a fail.\n"
      "  node.encode-cpu           Not-implemented: no recorder service exists yet.\n"
      "blockchain:\n"
      "  blockchain.consensus-stable  `lucid-blockchain-core status` inside the blockchain-core container,\n"
      "                            twice, --consensus-window apart: pass when the validator is\n"
      "                            connected to etcd, not halted, has seen no incident, and every block\n"
      "                            it had at the first reading is final at the second.\n"
      "Other SPEC-4 checks (the rest of blockchain, sessions, node DHT/anchoring, admin, observability,\n"
      "relay) are not-implemented, naming the services they need and whether those run.\n"
      "\n"
      "Results: <state-dir>/acceptance/<cluster>.json, written atomically (docs/formats.md \"Acceptance\n"
      "results\"); the reconciler's /status shows it under `acceptance`. Progress goes to stderr.\n"
      "Exit: 0 no check failed (not-implemented is not a failure), 1 a check failed, 2 usage, no\n"
      "last-good commit, engine unreachable or results not written.");
  register_probe(cmd, ctx);
  cmd->callback([a, cmd, &ctx] {
    if (cmd->get_subcommands().size() > 0) return;  // `accept probe …` ran instead
    ctx.exit_code = run_accept(*a);
  });
}

}  // namespace lucidctl
