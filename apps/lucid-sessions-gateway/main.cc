// lucid-sessions-gateway: mints single-use session ids for admitted nodes and answers each with a
// session:write token (issue 15; docs/sessions.md step 1, docs/formats.md "sessions-gateway API").
// Thin: flags and environment into lucid::sessions::Gateway over its MintStore, then serve until
// SIGTERM/SIGINT. Also makes the token key, prints a policy snapshot's pin, and answers the image's
// healthcheck.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lucid/base/endpoint_probe.h"
#include "lucid/base/env.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/http_server.h"
#include "lucid/base/json_fields.h"
#include "lucid/base/process_hardening.h"
#include "lucid/base/shutdown_signals.h"
#include "lucid/base/text.h"
#include "lucid/seal/keys.h"
#include "lucid/sessions/gateway.h"
#include "lucid/sessions/mint_request.h"
#include "lucid/sessions/mint_store.h"

namespace {

constexpr const char* kProgram = "lucid-sessions-gateway";
constexpr const char* kSeedVariable = "SESSIONS_TOKEN_SEED";

using lucid::env_or;

int fail_with(const std::string& message) {
  fmt::print(stderr, "{}: {}\n", kProgram, message);
  return 2;
}

int keygen(const std::string& out) {
  auto key = lucid::seal::generate_node_key(out);
  if (!key) return fail_with(key.error().message);
  fmt::print("{}\n", lucid::to_hex(key->public_key()));
  return 0;
}

// Prints the pin of a policy snapshot file (a JSON object): what SESSIONS_POLICY_PINS lists.
int print_policy_hash(const std::string& file) {
  auto text = lucid::read_text_file(file);
  if (!text) return fail_with(text.error().message);
  auto policy = lucid::parse_json_object(*text, file, lucid::sessions::kMaxPolicyDepth);
  if (!policy) return fail_with(policy.error().message);
  auto hash = lucid::sessions::policy_hash(*policy);
  if (!hash) return fail_with(fmt::format("{}: {}", file, hash.error().message));
  fmt::print("{}\n", *hash);
  return 0;
}

struct ServeArgs {
  std::string store = env_or("SESSIONS_GATEWAY_STORE", "sqlite:/var/lib/lucid/sessions-gateway.db");
  std::string nodes_file = env_or("SESSIONS_NODES", "/etc/lucid/sessions/nodes");
  std::string node_keys = env_or("SESSIONS_NODE_KEYS", "");
  std::string pins = env_or("SESSIONS_POLICY_PINS", "");
  std::string key_file = env_or("SESSIONS_TOKEN_KEY", "/run/secrets/sessions-token.key");
  std::string listen = env_or("SESSIONS_LISTEN", "0.0.0.0:8080");
  std::string issuer = env_or("SESSIONS_ISSUER", "sessions-gateway");
  int token_lifetime_s = 4 * 3600;
  int window_s = 60;
  double per_minute = 60;
  double burst = 10;
};

int serve(const ServeArgs& args) {
  lucid::sessions::GatewayOptions options;
  options.issuer = args.issuer;
  // A cluster's .env lists the keys; a host or a test may keep them in a file instead.
  auto nodes = args.node_keys.empty() ? lucid::sessions::load_node_allow_list(args.nodes_file)
                                      : lucid::sessions::parse_node_keys(args.node_keys);
  if (!nodes)
    return fail_with(
        fmt::format("{}: {}", args.node_keys.empty() ? "--nodes" : "--node-keys", nodes.error().message));
  options.nodes = std::move(*nodes);
  auto pins = lucid::sessions::parse_policy_pins(args.pins);
  if (!pins) return fail_with(fmt::format("--policy-pins: {}", pins.error().message));
  options.policy_pins = std::move(*pins);
  options.token_lifetime = std::chrono::seconds(args.token_lifetime_s);
  options.request_window = std::chrono::seconds(args.window_s);
  options.rate = {args.per_minute, args.burst};
  if (auto checked = lucid::sessions::check_gateway_options(options); !checked)
    return fail_with(checked.error().message);
  // Before any thread starts: the seed variable is taken out of the environment.
  auto key = lucid::seal::service_key(kSeedVariable, args.key_file);
  if (!key) return fail_with(fmt::format("the token key: {}", key.error().message));

  const lucid::ShutdownSignals signals;  // before any thread starts

  const std::size_t node_count = options.nodes.size();
  const std::size_t pin_count = options.policy_pins.size();
  auto store = lucid::sessions::MintStore::open(args.store);
  if (!store) return fail_with(fmt::format("--store: {}", store.error().message));
  lucid::sessions::Gateway gateway(**store, std::move(*key), std::move(options));
  lucid::http::ServerOptions server_options;
  server_options.max_body_bytes = lucid::sessions::kMaxMintRequestBytes;
  const std::vector<std::string> listen = lucid::split_comma_list(args.listen);
  auto server = lucid::http::Server::start(
      listen, [&gateway](const lucid::http::Request& request) { return gateway.handle(request); },
      server_options);
  if (!server) return fail_with(fmt::format("--listen: {}", server.error().message));
  fmt::print(stderr, "{}: token key {}, {} nodes admitted, {} policies pinned, serving on {}\n", kProgram,
             gateway.kid(), node_count, pin_count, fmt::join(listen, ", "));
  const int sig = signals.wait();
  fmt::print(stderr, "{}: signal {}: stopping\n", kProgram, sig);
  (*server)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The token key lives in this process: no core file, no same-user ptrace.
  if (auto hardened = lucid::harden_process(); !hardened) return fail_with(hardened.error().message);
  CLI::App app{
      "lucid-sessions-gateway — mints single-use session ids for admitted nodes, each with a session:write "
      "token (docs/sessions.md)"};
  app.footer(
      "Environment (each also a flag of serve): SESSIONS_GATEWAY_STORE, SESSIONS_NODES, SESSIONS_NODE_KEYS,\n"
      "SESSIONS_POLICY_PINS, SESSIONS_TOKEN_KEY, SESSIONS_LISTEN, SESSIONS_ISSUER. SESSIONS_TOKEN_SEED "
      "holds\n"
      "the token key's seed (64 hex digits, from SOPS), taken out of the environment at start and preferred\n"
      "to the key file.\n"
      "Exit status: 0 done, 1 health not OK, 2 usage or configuration error.");
  app.require_subcommand(1);

  ServeArgs args;
  auto* serve_cmd = app.add_subcommand("serve", "serve POST /v1/mint, GET /v1/keys, /health and /metrics");
  serve_cmd->add_option("--store", args.store,
                        "sqlite:PATH, or postgresql://user@host/db for several replicas (env "
                        "SESSIONS_GATEWAY_STORE)");
  serve_cmd->add_option("--nodes", args.nodes_file,
                        "the node allow-list: one node public key (64 hex) per line, then optionally a "
                        "label (env SESSIONS_NODES)");
  serve_cmd->add_option(
      "--policy-pins", args.pins,
      "comma-separated BLAKE3 hashes of the privacy policy snapshots admitted (`policy-hash` "
      "prints one; env SESSIONS_POLICY_PINS)");
  serve_cmd->add_option("--token-key", args.key_file,
                        "the token signing key file, 0600, made by `keygen` (env SESSIONS_TOKEN_KEY); unused "
                        "when SESSIONS_TOKEN_SEED is set");
  serve_cmd->add_option("--listen", args.listen, "comma-separated ip:port (env SESSIONS_LISTEN)");
  serve_cmd->add_option("--issuer", args.issuer, "the tokens' iss (env SESSIONS_ISSUER)");
  serve_cmd->add_option("--token-lifetime-s", args.token_lifetime_s, "a session:write token's lifetime")
      ->check(CLI::Range(60, 24 * 3600));
  serve_cmd->add_option("--window-s", args.window_s, "how far a request's timestamp may be from this clock")
      ->check(CLI::Range(1, 600));
  serve_cmd->add_option("--rate-per-minute", args.per_minute, "mints per minute per node, sustained")
      ->check(CLI::Range(0.01, 100000.0));
  serve_cmd->add_option("--rate-burst", args.burst, "mints per node at once after a quiet spell")
      ->check(CLI::Range(1.0, 100000.0));

  auto* keygen_cmd = app.add_subcommand(
      "keygen", "make a token signing key (KEYFILE 0600, KEYFILE.pub); prints the public key");
  std::string key_out;
  keygen_cmd->add_option("--out", key_out, "the key file to create")->required();

  auto* policy_cmd = app.add_subcommand(
      "policy-hash", "print the pin of a privacy policy snapshot (BLAKE3 of its canonical JSON)");
  std::string policy_file;
  policy_cmd->add_option("file", policy_file, "the snapshot, a JSON object")->required();

  auto* health_cmd =
      app.add_subcommand("health", "exit 0 when the gateway's /health answers 200 (the image's healthcheck)");
  std::string health_url = "http://127.0.0.1:8080/health";
  health_cmd->add_option("--url", health_url, "the health endpoint");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*keygen_cmd) return keygen(key_out);
  if (*policy_cmd) return print_policy_hash(policy_file);
  if (*health_cmd) return lucid::print_endpoint(health_url, kProgram);
  return serve(args);
}
