// lucid-blockchain-governances: the data chain's proposal/vote/timelock executor and read-only public
// view of Governance and ParamRegistry (issue 14, docs/chain.md "Contracts"). Thin: flags and
// environment into an observer (a keyless follower of the chain in etcd), the executor and the API,
// then serve until SIGTERM/SIGINT. Also makes an executor key and answers the image's healthcheck.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lucid/base/endpoint_probe.h"
#include "lucid/base/env.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/process_hardening.h"
#include "lucid/base/secret.h"
#include "lucid/base/secret_env.h"
#include "lucid/base/shutdown_signals.h"
#include "lucid/base/text.h"
#include "lucid/chain/governance_executor.h"
#include "lucid/chain/governances_api.h"
#include "lucid/chain/service_config.h"
#include "lucid/chain/validator.h"
#include "lucid/seal/keys.h"

namespace {

constexpr const char* kDefaultKeyFile = "/run/secrets/executor.key";

using lucid::env_or;

int fail_with(const std::string& message) {
  fmt::print(stderr, "lucid-blockchain-governances: {}\n", message);
  return 2;
}

int keygen(const std::string& out) {
  auto key = lucid::seal::generate_node_key(out);
  if (!key) return fail_with(key.error().message);
  fmt::print("{}\n", lucid::to_hex(key->public_key()));
  return 0;
}

// The executor's key, or why it runs read-only. The key's seed in CHAIN_EXECUTOR_SEED (taken out of
// the environment) or a key file; only the default file may be absent (read-only, said in
// /v1/status); a key file named explicitly must load, and so must one that exists.
int load_executor_key(const std::string& key_file, bool key_named, bool read_only,
                      lucid::chain::ExecutorOptions& executor) {
  constexpr const char* kSeedVariable = "CHAIN_EXECUTOR_SEED";
  if (read_only) {
    if (auto unused = lucid::take_secret_env(kSeedVariable)) lucid::secure_zero(*unused);
    executor.read_only_reason = "started with --read-only";
    return 0;
  }
  std::error_code ec;
  // Set but empty counts as absent: a cluster's .env may leave the seed out of the compose entry's
  // `${CHAIN_EXECUTOR_SEED:-}`.
  const char* seed = std::getenv(kSeedVariable);
  if ((seed == nullptr || *seed == '\0') && !key_named && !std::filesystem::exists(key_file, ec)) {
    executor.read_only_reason = fmt::format(
        "no executor key (neither CHAIN_EXECUTOR_SEED nor the file {}): proposals are shown, never executed",
        key_file);
    return 0;
  }
  auto key = lucid::seal::service_key(kSeedVariable, key_file);
  if (!key) return fail_with(key.error().message);
  executor.sender = std::move(*key);
  if (executor.core_urls.empty())
    return fail_with(
        "--core (or CHAIN_CORE) is required with an executor key: the blockchain-core API URLs "
        "the execute transactions are sent to");
  return 0;
}

int serve(const std::string& genesis_file, lucid::chain::ValidatorOptions options,
          lucid::chain::ExecutorOptions executor_options, std::uint64_t grace_blocks,
          const std::vector<std::string>& listen) {
  auto parsed = lucid::chain::service_genesis(genesis_file);
  if (!parsed) return fail_with(parsed.error().message);
  options.genesis = std::move(*parsed);

  const lucid::ShutdownSignals signals;  // before any thread starts

  auto observer = lucid::chain::Validator::observe(std::move(options));
  if (!observer) return fail_with(observer.error().message);
  const std::string mode =
      executor_options.sender
          ? fmt::format("executor {}", lucid::to_hex(executor_options.sender->public_key()))
          : fmt::format("read-only ({})", executor_options.read_only_reason);
  auto executor = lucid::chain::GovernanceExecutor::start(**observer, std::move(executor_options));
  lucid::chain::GovernancesApi api(**observer, *executor, grace_blocks);
  lucid::http::ServerOptions server_options;
  server_options.max_body_bytes = std::size_t{4} * 1024;  // a {"parameter", "value"} check
  auto server = lucid::http::Server::start(
      listen, [&api](const lucid::http::Request& request) { return api.handle(request); }, server_options);
  if (!server) return fail_with(fmt::format("--listen: {}", server.error().message));
  fmt::print(stderr, "lucid-blockchain-governances: chain {:?}, {}, serving on {}\n",
             (*observer)->status().chain_id, mode, fmt::join(listen, ", "));
  const int sig = signals.wait();
  fmt::print(stderr, "lucid-blockchain-governances: signal {}: stopping\n", sig);
  (*server)->stop();
  executor->stop();
  (*observer)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The executor key lives in this process: no core file, no same-user ptrace.
  if (auto hardened = lucid::harden_process(); !hardened) return fail_with(hardened.error().message);
  CLI::App app{
      "lucid-blockchain-governances — the data chain's governance executor and public view (docs/chain.md)"};
  app.require_subcommand(1);

  auto* serve_cmd = app.add_subcommand(
      "serve", "follow the chain in etcd, execute approved proposals after their timelock, serve the view");
  std::string genesis_file = env_or("CHAIN_GENESIS", "/etc/lucid/chain/genesis.json");
  const char* key_env = std::getenv("CHAIN_EXECUTOR_KEY");
  std::string key_file = env_or("CHAIN_EXECUTOR_KEY", kDefaultKeyFile);
  std::string etcd = env_or("CHAIN_ETCD", "");
  std::string core = env_or("CHAIN_CORE", "");
  std::string listen = env_or("CHAIN_LISTEN", "0.0.0.0:8080");
  lucid::chain::ValidatorOptions options;
  std::uint64_t grace_blocks = 20;
  std::uint64_t retry_blocks = 10;
  bool read_only = false;
  serve_cmd->add_option("--genesis", genesis_file,
                        "genesis file (env CHAIN_GENESIS); unused when CHAIN_ID, CHAIN_VALIDATORS and "
                        "CHAIN_GENESIS_TIME_MS spell the genesis out");
  auto* key_option = serve_cmd->add_option(
      "--key", key_file,
      "executor key file: an Ed25519 seed in hex, mode 0600 (env CHAIN_EXECUTOR_KEY); made by `keygen`; "
      "unused when CHAIN_EXECUTOR_SEED holds the seed (taken out of the environment at start). Without "
      "either (the default file absent) the service is read-only");
  serve_cmd->add_option("--etcd", etcd,
                        "comma-separated client URLs of the ordering etcd members (env CHAIN_ETCD)");
  serve_cmd->add_option(
      "--core", core,
      "comma-separated blockchain-core API base URLs the execute transactions go to, failed "
      "over in turn (env CHAIN_CORE)");
  serve_cmd->add_option("--listen", listen, "comma-separated ip:port of the API (env CHAIN_LISTEN)");
  serve_cmd->add_option("--key-prefix", options.key_prefix,
                        "etcd key prefix (default /lucid-chain/<chain id>/)");
  serve_cmd
      ->add_option("--execution-grace-blocks", grace_blocks,
                   "final blocks an executable proposal may wait before /health fails")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000}));
  serve_cmd
      ->add_option("--retry-blocks", retry_blocks,
                   "final blocks between two attempts to execute a proposal that reverted")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000}));
  serve_cmd->add_flag("--read-only", read_only, "never execute, even with a key");

  auto* keygen_cmd =
      app.add_subcommand("keygen", "make an executor key (KEYFILE 0600, KEYFILE.pub); prints the public key");
  std::string key_out;
  keygen_cmd->add_option("--out", key_out, "the key file to create")->required();

  auto* health_cmd =
      app.add_subcommand("health", "exit 0 when the service's /health answers 200 (the healthcheck)");
  std::string health_url = "http://127.0.0.1:8080/health";
  health_cmd->add_option("--url", health_url, "the health endpoint");

  auto* status_cmd =
      app.add_subcommand("status", "print the service's /v1/status (exit 0 when it answers 200)");
  std::string status_url = "http://127.0.0.1:8080/v1/status";
  status_cmd->add_option("--url", status_url, "the status endpoint");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*keygen_cmd) return keygen(key_out);
  if (*health_cmd) return lucid::print_endpoint(health_url, "lucid-blockchain-governances");
  if (*status_cmd) return lucid::print_endpoint(status_url, "lucid-blockchain-governances");
  options.etcd_endpoints = lucid::split_comma_list(etcd);
  if (options.etcd_endpoints.empty())
    return fail_with("--etcd (or CHAIN_ETCD) is required: the ordering cluster's client URLs");
  lucid::chain::ExecutorOptions executor;
  executor.core_urls = lucid::split_comma_list(core);
  executor.retry_blocks = retry_blocks;
  const bool key_named = (key_env != nullptr && *key_env != '\0') || key_option->count() > 0;
  if (int failed = load_executor_key(key_file, key_named, read_only, executor); failed != 0) return failed;
  return serve(genesis_file, std::move(options), std::move(executor), grace_blocks,
               lucid::split_comma_list(listen));
}
