// lucid-blockchain-core: a validator of the on-system data chain (issue 14, docs/chain.md). Thin:
// flags and environment into ValidatorOptions, then serve the API until SIGTERM/SIGINT. Also makes
// a validator key and a genesis file, and answers the image's healthcheck.
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lucid/base/endpoint_probe.h"
#include "lucid/base/env.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/process_hardening.h"
#include "lucid/base/shutdown_signals.h"
#include "lucid/base/text.h"
#include "lucid/chain/core_api.h"
#include "lucid/chain/service_config.h"
#include "lucid/chain/signed_document.h"
#include "lucid/chain/validator.h"
#include "lucid/seal/keys.h"

namespace {

using lucid::env_or;

int fail_with(const std::string& message) {
  fmt::print(stderr, "lucid-blockchain-core: {}\n", message);
  return 2;
}

int keygen(const std::string& out) {
  auto key = lucid::seal::generate_node_key(out);
  if (!key) return fail_with(key.error().message);
  fmt::print("{}\n", lucid::to_hex(key->public_key()));
  return 0;
}

int genesis(const std::string& chain_id, const std::vector<std::string>& validators, std::uint64_t time_ms,
            const std::string& out) {
  nlohmann::json document{{"chain_id", chain_id}, {"validators", validators}, {"time_ms", time_ms}};
  // Parsing what we are about to write checks every field as a validator will.
  auto parsed = lucid::chain::parse_genesis(document, "genesis");
  if (!parsed) return fail_with(parsed.error().message);
  const std::string text = fmt::format("{}\n", lucid::chain::genesis_to_json(*parsed).dump(2));
  auto written = lucid::write_file_atomic(out, lucid::chain::bytes_of(text));
  if (!written) return fail_with(written.error().message);
  fmt::print("{}\n", lucid::to_hex(lucid::chain::genesis_hash(*parsed)));
  return 0;
}

int serve(const std::string& genesis_file, const std::string& key_file,
          lucid::chain::ValidatorOptions options, const std::vector<std::string>& listen) {
  auto parsed = lucid::chain::service_genesis(genesis_file);
  if (!parsed) return fail_with(parsed.error().message);
  options.genesis = std::move(*parsed);
  // Before any thread starts: the seed variable is taken out of the environment.
  auto key = lucid::seal::service_key("CHAIN_VALIDATOR_SEED", key_file);
  if (!key) return fail_with(key.error().message);

  const lucid::ShutdownSignals signals;  // before any thread starts

  auto validator = lucid::chain::Validator::start(std::move(options), std::move(*key));
  if (!validator) return fail_with(validator.error().message);
  lucid::chain::CoreApi api(**validator);
  lucid::http::ServerOptions server_options;
  server_options.max_body_bytes =
      std::size_t{512} * 1024;  // a transaction with the largest calldata, in JSON
  auto server = lucid::http::Server::start(
      listen, [&api](const lucid::http::Request& request) { return api.handle(request); }, server_options);
  if (!server) return fail_with(fmt::format("--listen: {}", server.error().message));
  fmt::print(stderr, "lucid-blockchain-core: validator {} of chain {:?} serving on {}\n",
             (*validator)->status().validator, (*validator)->status().chain_id, fmt::join(listen, ", "));
  const int sig = signals.wait();
  fmt::print(stderr, "lucid-blockchain-core: signal {}: stopping\n", sig);
  (*server)->stop();
  (*validator)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The validator key lives in this process: no core file, no same-user ptrace.
  if (auto hardened = lucid::harden_process(); !hardened) return fail_with(hardened.error().message);
  CLI::App app{"lucid-blockchain-core — a validator of Lucid's on-system data chain (docs/chain.md)"};
  app.require_subcommand(1);

  auto* serve_cmd =
      app.add_subcommand("serve", "follow the chain ordered in etcd, execute, vote, propose, serve the API");
  std::string genesis_file = env_or("CHAIN_GENESIS", "/etc/lucid/chain/genesis.json");
  std::string key_file = env_or("CHAIN_VALIDATOR_KEY", "/run/secrets/validator.key");
  std::string etcd = env_or("CHAIN_ETCD", "");
  std::string listen = env_or("CHAIN_LISTEN", "0.0.0.0:7100");
  lucid::chain::ValidatorOptions options;
  int block_interval_ms = 200;
  bool no_propose = false;
  serve_cmd->add_option("--genesis", genesis_file,
                        "genesis file (env CHAIN_GENESIS); unused when CHAIN_ID, CHAIN_VALIDATORS and "
                        "CHAIN_GENESIS_TIME_MS spell the genesis out");
  serve_cmd->add_option("--key", key_file,
                        "validator key file: an Ed25519 seed in hex, mode 0600 (env CHAIN_VALIDATOR_KEY); "
                        "made by `keygen`; unused when CHAIN_VALIDATOR_SEED holds the seed (taken out of "
                        "the environment at start)");
  serve_cmd->add_option("--etcd", etcd,
                        "comma-separated client URLs of the ordering etcd members (env CHAIN_ETCD)");
  serve_cmd->add_option("--listen", listen, "comma-separated ip:port of the API (env CHAIN_LISTEN)");
  serve_cmd->add_option("--key-prefix", options.key_prefix,
                        "etcd key prefix (default /lucid-chain/<chain id>/)");
  serve_cmd->add_option("--block-interval-ms", block_interval_ms, "how often a proposer cuts a block")
      ->check(CLI::Range(10, 60000));
  serve_cmd
      ->add_option("--proposer-lease", options.proposer_lease_seconds,
                   "seconds before a crashed proposer is replaced")
      ->check(CLI::Range(1, 60));
  serve_cmd->add_flag("--no-propose", no_propose, "follow and vote only");

  auto* keygen_cmd =
      app.add_subcommand("keygen", "make a validator key (KEYFILE 0600, KEYFILE.pub); prints the public key");
  std::string key_out;
  keygen_cmd->add_option("--out", key_out, "the key file to create")->required();

  auto* genesis_cmd = app.add_subcommand("genesis", "write a genesis file; prints its hash");
  std::string chain_id, genesis_out;
  std::vector<std::string> validators;
  std::uint64_t time_ms = 0;
  genesis_cmd->add_option("--chain-id", chain_id, "the chain's id ([a-z0-9-], at most 64)")->required();
  genesis_cmd->add_option("--validator", validators, "a validator's public key (hex); repeat for each")
      ->required();
  genesis_cmd->add_option("--time-ms", time_ms, "genesis time (Unix ms)");
  genesis_cmd->add_option("--out", genesis_out, "the file to write")->required();

  auto* health_cmd =
      app.add_subcommand("health", "exit 0 when the validator's /health answers 200 (the healthcheck)");
  std::string health_url = "http://127.0.0.1:7100/health";
  health_cmd->add_option("--url", health_url, "the health endpoint");

  auto* status_cmd =
      app.add_subcommand("status", "print the validator's /v1/status (what `lucidctl accept` reads)");
  std::string status_url = "http://127.0.0.1:7100/v1/status";
  status_cmd->add_option("--url", status_url, "the status endpoint");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*keygen_cmd) return keygen(key_out);
  if (*genesis_cmd) return genesis(chain_id, validators, time_ms, genesis_out);
  if (*health_cmd) return lucid::print_endpoint(health_url, "lucid-blockchain-core");
  if (*status_cmd) return lucid::print_endpoint(status_url, "lucid-blockchain-core");
  options.etcd_endpoints = lucid::split_comma_list(etcd);
  if (options.etcd_endpoints.empty())
    return fail_with("--etcd (or CHAIN_ETCD) is required: the ordering cluster's client URLs");
  options.block_interval = std::chrono::milliseconds(block_interval_ms);
  options.propose = !no_propose;
  return serve(genesis_file, key_file, std::move(options), lucid::split_comma_list(listen));
}
