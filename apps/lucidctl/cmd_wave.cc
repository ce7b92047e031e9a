// `lucidctl wave status|promote|pause|resume|rollback` (issue 11): the operator's side of waves. Each
// run fetches the config repo into the console directory, polls every site's `status:` URL once
// (recorded in the console's history, so gates are judged over the soak time together with what a
// running `lucidctl console serve` collected), then reads or acts. Acting is a git operation on the
// config repo (docs/console.md); the sites pull.
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cmd_wave.h"
#include "command.h"
#include "lucid/console/history_store.h"
#include "lucid/console/poller.h"
#include "lucid/rollout/waves.h"

namespace lucidctl {
namespace {

namespace ro = lucid::rollout;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Who acts, for the messages of pause tags and revert commits: login name and host.
std::string actor() {
  std::string user = "uid " + std::to_string(::getuid());
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr) user = pw->pw_name;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host[0] != '\0' ? user + "@" + host : user;
}

// The console's state for one command: the repo clone (fetched), the history (with a fresh poll).
struct Console {
  std::optional<ro::ConfigRepo> repo;
  std::optional<lucid::console::HistoryStore> history;
  ro::History history_fn;
};

// Held by pointer: history_fn refers to the history store inside.
std::unique_ptr<Console> open_console(const ConsoleArgs& a, const char* cmd) {
  if (a.repo.empty()) {
    fmt::print(stderr, "lucidctl {}: give --repo URL (the config repo)\n", cmd);
    return nullptr;
  }
  auto owned = std::make_unique<Console>();
  Console& c = *owned;
  const std::filesystem::path dir = a.console_dir;
  auto repo = ro::ConfigRepo::open(a.repo, dir / "repo.git");
  if (!repo) {
    fmt::print(stderr, "lucidctl {}: {}\n", cmd, repo.error().message);
    return nullptr;
  }
  if (auto s = repo->fetch(); !s) {
    fmt::print(stderr, "lucidctl {}: {}\n", cmd, s.error().message);
    return nullptr;
  }
  c.repo.emplace(std::move(*repo));
  auto history = lucid::console::HistoryStore::open(dir / "history.db");
  if (!history) {
    fmt::print(stderr, "lucidctl {}: {}\n", cmd, history.error().message);
    return nullptr;
  }
  c.history.emplace(std::move(*history));
  if (!a.no_poll) {
    auto def = ro::current_definition(*c.repo);
    if (!def) {
      fmt::print(stderr, "lucidctl {}: {}\n", cmd, def.error().message);
      return nullptr;
    }
    lucid::console::PollOptions po;
    if (const char* socks = std::getenv("TOR_SOCKS"); socks != nullptr) po.socks_proxy = socks;
    lucid::console::Poller poller(*c.history, po);
    poller.poll_all(*def, unix_now() * 1000);
  }
  auto* store = &*c.history;
  c.history_fn = [store](const std::string& cluster) {
    // A day of reports at most (the store keeps no more); gates look back over the soak time.
    auto seen = store->history(cluster, unix_now() - 24 * 3600);
    return seen ? std::move(*seen) : std::vector<ro::Observation>{};
  };
  return owned;
}

std::string short_id(const std::string& s) {
  return s.empty() ? "-" : s.substr(0, 12);
}

std::string age_text(std::int64_t s) {
  if (s < 0) return "never";
  if (s >= 3600) return fmt::format("{}h{}m", s / 3600, s % 3600 / 60);
  if (s >= 60) return fmt::format("{}m{}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

void print_cluster_line(const nlohmann::ordered_json& c) {
  auto text = [&](const char* k) { return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : ""; };
  std::string last = "-";
  if (c.contains("last_attempt")) {
    const auto& a = c["last_attempt"];
    last = fmt::format("{} {} {}", a.value("kind", ""), short_id(a.value("commit", "")),
                       a.value("outcome", "").empty() ? "(running)" : a.value("outcome", ""));
  }
  std::string health = c.contains("services_total") ? fmt::format("{}/{}", c.value("services_healthy", 0),
                                                                  c.value("services_total", 0))
                                                    : "-";
  std::string age = age_text(c.value("report_age_seconds", std::int64_t{-1}));
  if (c.value("stale", true)) age += " STALE";
  fmt::print("  {:<22} {:<12} {:<12} {:<12} {:<7} {:<14} {}\n", c.value("id", ""), short_id(text("desired")),
             short_id(text("applied")), short_id(text("last_good")), health, age, last);
  if (c.contains("error")) fmt::print("    poll: {}\n", c["error"].get<std::string>());
}

int print_view(const ro::FleetView& view, bool json, bool gates) {
  auto j = ro::to_json(view);
  if (json) {
    fmt::print("{}\n", j.dump());
    return 0;
  }
  for (const auto& w : j["waves"]) {
    fmt::print("wave {} ({}) at {} {}\n", w["name"].get<std::string>(), w["ref"].get<std::string>(),
               short_id(w["commit"].get<std::string>()), w["subject"].get<std::string>());
    fmt::print("  soak {} s, stale after {} s, gates: {}; {}{}\n", w["soak_seconds"].get<std::int64_t>(),
               w["stale_after_seconds"].get<std::int64_t>(),
               w["gates"].empty() ? std::string("none") : fmt::format("{}", fmt::join(w["gates"], ", ")),
               w["gates_pass"].get<bool>() ? "gates pass" : "gates do not pass",
               w["paused"].is_null() ? "" : "; PAUSED: " + w["paused"]["message"].get<std::string>());
    fmt::print("  {:<22} {:<12} {:<12} {:<12} {:<7} {:<14} {}\n", "CLUSTER", "DESIRED", "APPLIED",
               "LAST-GOOD", "HEALTHY", "REPORTED", "LAST ATTEMPT");
    for (const auto& c : w["clusters"]) {
      print_cluster_line(c);
      if (gates)
        for (const auto& g : c["gates"])
          fmt::print("    gate {:<24} {:<8} {}\n", g["gate"].get<std::string>(),
                     g["state"].get<std::string>(), g["reason"].get<std::string>());
    }
  }
  return 0;
}

int print_action(const char* cmd, const lucid::Result<ro::ActionResult>& r, bool json) {
  if (!r) {
    fmt::print(stderr, "lucidctl wave {}: {}\n", cmd, r.error().message);
    return 2;
  }
  if (json) {
    fmt::print("{}\n", r->to_json().dump());
  } else {
    for (const auto& why : r->refusals) fmt::print("refused: {}\n", why);
    if (!r->detail.empty()) fmt::print("{}{}", r->detail, r->detail.ends_with('\n') ? "" : "\n");
  }
  return r->refusals.empty() ? 0 : 1;
}

struct WaveArgs {
  ConsoleArgs console;
  std::string wave, reason;
  std::optional<std::string> commit, to;
  std::string signing_key;
  bool dry_run = false, json = false;
};

void common_options(CLI::App* sub, WaveArgs& a) {
  sub->add_option("--repo", a.console.repo, "Config repo URL (path, file://, ssh://, http(s)://)")
      ->required();
  sub->add_option("--console-dir", a.console.console_dir,
                  "The console's directory: its clone of the repo and its history of site reports "
                  "(default /var/lib/lucid/console; shared with `lucidctl console serve`)");
  sub->add_flag("--no-poll", a.console.no_poll, "Do not poll the sites now; judge from the history only");
  sub->add_flag("--json", a.json, "JSON output");
}

}  // namespace

int run_fleet_console_status(const ConsoleArgs& args, bool json) {
  auto c = open_console(args, "status --fleet");
  if (!c) return 2;
  auto view = ro::fleet_view(*c->repo, c->history_fn, unix_now());
  if (!view) {
    fmt::print(stderr, "lucidctl status --fleet: {}\n", view.error().message);
    return 2;
  }
  return print_view(*view, json, false);
}

void register_wave(CLI::App& app, Context& ctx) {
  auto* wave = app.add_subcommand("wave", "Waves: status, promote, pause, resume, rollback (SPEC-4 rollout)");
  wave->require_subcommand(1);
  wave->footer(
      "Each cluster follows its wave's ref (clusters/clusters.yaml: waves[].ref). These commands change\n"
      "what a wave runs only through the config repo: promote fast-forwards the wave's ref; rollback\n"
      "commits the older content, signed, on top of it (the sites roll forward); pause and resume add or\n"
      "remove the tag refs/tags/lucid/paused/<wave>. Before reading or acting, each run fetches the repo\n"
      "into --console-dir and polls every cluster's `status:` URL once (TOR_SOCKS=host:port: through\n"
      "that SOCKS5 proxy), adding to the history that `lucidctl console serve` keeps there.\n"
      "Gates (per cluster, for the commit): healthchecks (the commit promoted on the site, every service\n"
      "healthy with its config hash, for `soak:`), beta-onions-per-plane and wallet-plane-isolation (from\n"
      "the acceptance results for that commit, which the site's reconciler runs after promoting it),\n"
      "anchor-latency (the site's p95 within the wave's `anchor_latency_budget:`, for `soak:`).\n"
      "A site without a report within `stale_after:` is stale and blocks. `no data` blocks unless\n"
      "policies/waivers.yaml `gates:` waives that gate for that wave with a reason and an expiry.\n"
      "Exit: 0 done (or nothing to do), 1 refused (the reasons are printed), 2 usage or I/O error.");

  auto st = std::make_shared<WaveArgs>();
  auto* status =
      wave->add_subcommand("status", "Per wave: its commit, its clusters, what each runs, its gates");
  common_options(status, *st);
  status->callback([st, &ctx] {
    auto c = open_console(st->console, "wave status");
    if (!c) {
      ctx.exit_code = 2;
      return;
    }
    auto view = ro::fleet_view(*c->repo, c->history_fn, unix_now());
    if (!view) {
      fmt::print(stderr, "lucidctl wave status: {}\n", view.error().message);
      ctx.exit_code = 2;
      return;
    }
    ctx.exit_code = print_view(*view, st->json, true);
  });

  auto pr = std::make_shared<WaveArgs>();
  auto* promote =
      wave->add_subcommand("promote", "Fast-forward WAVE's ref when the previous wave's gates hold");
  common_options(promote, *pr);
  promote->add_option("WAVE", pr->wave, "The wave to promote")->required();
  promote->add_option("--commit", pr->commit,
                      "The commit to promote (default: what the previous wave's ref points at; for the first "
                      "wave, the default branch)");
  promote->add_flag("--dry-run", pr->dry_run, "Print what would happen; change nothing");
  promote->footer(
      "Refused (exit 1) when the wave is paused, when the commit does not descend from the wave's current\n"
      "commit, or when any gate of the previous wave does not hold for that commit on every one of its\n"
      "clusters for the wave's soak time; each refusal names the gate, the cluster and why.");
  promote->callback([pr, &ctx] {
    auto c = open_console(pr->console, "wave promote");
    if (!c) {
      ctx.exit_code = 2;
      return;
    }
    ro::PromoteRequest req{pr->wave, pr->commit, pr->dry_run, actor()};
    ctx.exit_code = print_action("promote", ro::promote(*c->repo, c->history_fn, req, unix_now()), pr->json);
  });

  auto pa = std::make_shared<WaveArgs>();
  auto* pause = wave->add_subcommand("pause", "Pause WAVE: it is never promoted until resumed");
  common_options(pause, *pa);
  pause->add_option("WAVE", pa->wave, "The wave to pause")->required();
  pause->add_option("--reason", pa->reason, "Why (recorded in the pause tag)")->required();
  pause->add_option("--signing-key", pa->signing_key,
                    "SSH private key to sign the tag with (default: git's signing configuration, if any)");
  pause->callback([pa, &ctx] {
    auto c = open_console(pa->console, "wave pause");
    if (!c) {
      ctx.exit_code = 2;
      return;
    }
    ctx.exit_code = print_action(
        "pause", ro::pause(*c->repo, pa->wave, pa->reason, actor(), ro::Signing{pa->signing_key}, unix_now()),
        pa->json);
  });

  auto re = std::make_shared<WaveArgs>();
  auto* resume = wave->add_subcommand("resume", "Resume a paused WAVE");
  common_options(resume, *re);
  resume->add_option("WAVE", re->wave, "The wave to resume")->required();
  resume->callback([re, &ctx] {
    auto c = open_console(re->console, "wave resume");
    if (!c) {
      ctx.exit_code = 2;
      return;
    }
    ctx.exit_code = print_action("resume", ro::resume(*c->repo, re->wave), re->json);
  });

  auto rb = std::make_shared<WaveArgs>();
  auto* rollback = wave->add_subcommand(
      "rollback", "Commit WAVE's older content, signed, on top of its ref: the sites roll forward to it");
  common_options(rollback, *rb);
  rollback->add_option("WAVE", rb->wave, "The wave to roll back")->required();
  rollback->add_option("--to", rb->to,
                       "The commit whose content to restore (default: the last-good commit every site of the "
                       "wave agrees on, else the parent of the wave's commit)");
  rollback->add_option("--signing-key", rb->signing_key,
                       "SSH private key to sign the commit with (default: git's signing configuration: "
                       "gpg.format=ssh, user.signingkey)");
  rollback->add_flag("--dry-run", rb->dry_run, "Print the diff the commit would make; change nothing");
  rollback->footer(
      "The revert is a new commit whose tree is the target's and whose parent is the wave's commit, so it\n"
      "descends from everything the sites have seen: no site needs --allow-rewind, and none fights its\n"
      "memory of the bad commit. It must be signed by a key the sites trust (policies/allowed_signers).");
  rollback->callback([rb, &ctx] {
    auto c = open_console(rb->console, "wave rollback");
    if (!c) {
      ctx.exit_code = 2;
      return;
    }
    ro::RollbackRequest req{rb->wave, rb->to, rb->dry_run, actor(), ro::Signing{rb->signing_key}};
    ctx.exit_code =
        print_action("rollback", ro::rollback(*c->repo, c->history_fn, req, unix_now()), rb->json);
  });
}

}  // namespace lucidctl
