// `lucidctl console serve`: the fleet's web console and its JSON API (issue 11), run until
// SIGINT/SIGTERM. docs/console.md describes the page, the endpoints and the events.
#include <csignal>
#include <cstdlib>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cmd_verify.h"
#include "command.h"
#include "lucid/base/time.h"
#include "lucid/console/server.h"

namespace lucidctl {
namespace {

std::atomic<bool> g_console_stop{false};
extern "C" void on_console_signal(int) {
  g_console_stop = true;
}

struct ServeArgs {
  std::string repo, dir = "/var/lib/lucid/console", listen = "127.0.0.1:8480", token_file, interval = "5s",
                    fetch_interval = "5s", signing_key, keep = "24h", registry;
};

int run_console(const ServeArgs& a) {
  auto interval = lucid::parse_duration(a.interval);
  auto fetch = lucid::parse_duration(a.fetch_interval);
  auto keep = lucid::parse_duration(a.keep);
  if (!interval || interval->count() <= 0 || !fetch || fetch->count() <= 0 || !keep || keep->count() <= 0) {
    fmt::print(stderr, "lucidctl console serve: --interval/--fetch-interval/--keep: give e.g. 5s, 1m, 24h\n");
    return 2;
  }
  lucid::console::ConsoleOptions o;
  o.repo_url = a.repo;
  o.dir = a.dir;
  o.listen = a.listen;
  o.poll.interval = *interval;
  o.fetch_interval = *fetch;
  o.keep_history = std::chrono::duration_cast<std::chrono::seconds>(*keep);
  o.signing.ssh_key = a.signing_key;
  o.registry = registry_url(a.registry);
  if (const char* socks = std::getenv("TOR_SOCKS"); socks != nullptr) o.poll.socks_proxy = socks;
  if (!a.token_file.empty()) {
    auto token = lucid::console::read_token_file(a.token_file);
    if (!token) {
      fmt::print(stderr, "lucidctl console serve: --token-file: {}\n", token.error().message);
      return 2;
    }
    o.token = std::move(*token);
  }
  std::signal(SIGINT, on_console_signal);
  std::signal(SIGTERM, on_console_signal);
  auto service = lucid::console::ConsoleService::start(std::move(o));
  if (!service) {
    fmt::print(stderr, "lucidctl console serve: {}\n", service.error().message);
    return 2;
  }
  fmt::print("console: {} ({})\n", (*service)->url(),
             a.token_file.empty() ? "read-only: no --token-file" : "actions need the operator token");
  std::fflush(stdout);
  while (!g_console_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  (*service)->stop();
  return 0;
}

}  // namespace

void register_console(CLI::App& app, Context& ctx) {
  auto* console = app.add_subcommand("console", "The fleet's web console and JSON API");
  console->require_subcommand(1);
  auto args = std::make_shared<ServeArgs>();
  auto* serve = console->add_subcommand("serve", "Serve the web console until SIGINT/SIGTERM");
  serve
      ->add_option("--repo", args->repo,
                   "Config repo URL (path, file://, ssh://, http(s)://): the one the sites reconcile from")
      ->required();
  serve->add_option(
      "--dir", args->dir,
      "The console's directory: its clone (repo.git) and history.db, shared with `lucidctl wave` "
      "and `lucidctl status --fleet` (default /var/lib/lucid/console)");
  serve->add_option("--listen", args->listen,
                    "IP:PORT to serve on (default 127.0.0.1:8480; port 0: any free)");
  serve->add_option("--token-file", args->token_file,
                    "File holding the operator token (first line, >= 16 characters, mode 0600); without it "
                    "the console is read-only");
  serve->add_option("--interval", args->interval, "How often each site's /status is polled (default 5s)");
  serve->add_option("--fetch-interval", args->fetch_interval,
                    "How often the config repo is fetched (default 5s)");
  serve->add_option("--signing-key", args->signing_key,
                    "SSH private key that signs pause tags and rollback commits (default: git's own "
                    "gpg.format/user.signingkey configuration)");
  serve->add_option("--registry", args->registry,
                    "Registry mirror (URL or HOST:PORT; else $LUCID_REGISTRY): the commit view then shows "
                    "every image's verdict (signature, SBOM, advisories) as a site would judge it");
  serve->add_option("--keep", args->keep, "How long site reports are kept in history.db (default 24h)");
  serve->footer(
      "The console clones --repo into <dir>/repo.git (a bare mirror, fetched every --fetch-interval)\n"
      "and reads the fleet from its default branch: waves in rollout order from clusters/clusters.yaml\n"
      "(ref, gates, soak, stale_after) and each cluster's `status:` URL, which is polled every\n"
      "--interval (backing off while a site does not answer). Every poll is kept in <dir>/history.db\n"
      "(SQLite) for --keep, so that gates are judged over a wave's soak time.\n"
      "\n"
      "It prints its URL and serves, on a loopback address by default:\n"
      "  /                              the page: fleet, wave, cluster and commit views, live\n"
      "  GET  /api/v1/fleet             every wave, its commit, gates and clusters (JSON)\n"
      "  GET  /api/v1/waves/WAVE        one wave and what promoting it would do now\n"
      "  GET  /api/v1/clusters/ID       a site's status, history, attempts, bad commits, acceptance\n"
      "  GET  /api/v1/commits/SHA       subject, author, signature, diff (?wave=W: against W's commit)\n"
      "  GET  /api/v1/commits/SHA/clusters/ID  the cluster's rendered plan diffed against its last-good\n"
      "                                 one (secrets as references), the lint gate, image verdicts\n"
      "  GET  /api/v1/events            server-sent events: `fleet` whenever the fleet changes\n"
      "  POST /api/v1/waves/WAVE/ACTION promote | pause | resume | rollback, with\n"
      "                                 `Authorization: Bearer <token>` and a JSON body\n"
      "                                 ({\"commit\"}, {\"reason\"}, {}, {\"to\"}; \"dry_run\": true)\n"
      "Actions run the same code as `lucidctl wave`: promotion fast-forwards the wave's ref only when\n"
      "the previous wave's gates hold for the commit for its soak (409 with the refusals otherwise);\n"
      "pause/resume push or delete a signed tag; rollback pushes a signed commit with the old content.\n"
      "A gate that fails after promotion pauses the next wave. The console holds no state Git does not.\n"
      "On a loopback address only loopback Host names are answered (no DNS rebinding).\n"
      "\n"
      "Environment: TOR_SOCKS=host:port polls the sites (onion addresses) through that SOCKS5 proxy.\n"
      "Exit: 0 after SIGINT/SIGTERM; 2 usage, token file, clone or listen address unusable.\n"
      "See docs/console.md.");
  serve->callback([args, &ctx] { ctx.exit_code = run_console(*args); });
}

}  // namespace lucidctl
