// lucid-blockchain-virtual-machine: the data chain's execution engine for everyone but the
// validators (issue 14, docs/chain.md "blockchain-virtual-machine"). Thin: flags and environment into
// an observer of the chain (Validator::observe: executes every ordered block, counts the votes, holds
// no key) and the VM's API, served until SIGTERM/SIGINT. Also runs the ABI self-test in-process and
// answers the image's healthcheck.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lucid/base/endpoint_probe.h"
#include "lucid/base/env.h"
#include "lucid/base/number.h"
#include "lucid/base/shutdown_signals.h"
#include "lucid/base/text.h"
#include "lucid/chain/abi_self_test.h"
#include "lucid/chain/service_config.h"
#include "lucid/chain/validator.h"
#include "lucid/chain/vm_api.h"

namespace {

using lucid::env_or;

int fail_with(const std::string& message) {
  fmt::print(stderr, "lucid-blockchain-virtual-machine: {}\n", message);
  return 2;
}

// The ABI self-test in this process: exit 0 when every case passes, 1 otherwise. `--json` prints only
// the report (what `lucidctl accept`'s blockchain.vm-abi-tests reads inside the container).
int abi_tests(bool as_json) {
  const lucid::chain::AbiSelfTestReport report = lucid::chain::run_abi_self_test();
  if (as_json) {
    fmt::print("{}\n", report.to_json().dump());
  } else {
    for (const auto& one : report.cases)
      fmt::print("{} {}: {}\n", one.ok ? "ok  " : "FAIL", one.name, one.detail);
    fmt::print("{} passed, {} failed\n", report.passed(), report.failed());
  }
  return report.failed() == 0 && report.passed() > 0 ? 0 : 1;
}

int serve(const std::string& genesis_file, lucid::chain::ValidatorOptions options,
          lucid::chain::VmApiOptions api_options, const std::vector<std::string>& listen) {
  auto parsed = lucid::chain::service_genesis(genesis_file);
  if (!parsed) return fail_with(parsed.error().message);
  options.genesis = std::move(*parsed);

  const lucid::ShutdownSignals signals;  // before any thread starts

  auto observer = lucid::chain::Validator::observe(std::move(options));
  if (!observer) return fail_with(observer.error().message);
  const lucid::chain::ValidatorSource source(**observer);
  lucid::chain::VmApi api(source, api_options);
  lucid::http::ServerOptions server_options;
  server_options.max_body_bytes =
      std::size_t{512} * 1024;  // a transaction with the largest calldata, in JSON
  auto server = lucid::http::Server::start(
      listen, [&api](const lucid::http::Request& request) { return api.handle(request); }, server_options);
  if (!server) return fail_with(fmt::format("--listen: {}", server.error().message));
  api.start_probe();
  fmt::print(stderr, "lucid-blockchain-virtual-machine: observing chain {:?}, serving on {}\n",
             (*observer)->status().chain_id, fmt::join(listen, ", "));
  const int sig = signals.wait();
  fmt::print(stderr, "lucid-blockchain-virtual-machine: signal {}: stopping\n", sig);
  (*server)->stop();
  (*observer)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // No harden_process(): this program holds no secret (the observer has no key; the self-test's key
  // is a fixed public test key).
  CLI::App app{
      "lucid-blockchain-virtual-machine — the execution engine of Lucid's data chain (docs/chain.md)"};
  app.require_subcommand(1);

  auto* serve_cmd = app.add_subcommand(
      "serve", "observe the chain ordered in etcd (execute, count votes) and serve view calls and estimates");
  std::string genesis_file = env_or("CHAIN_GENESIS", "/etc/lucid/chain/genesis.json");
  std::string etcd = env_or("CHAIN_ETCD", "");
  std::string listen = env_or("CHAIN_LISTEN", "0.0.0.0:8080");
  lucid::chain::ValidatorOptions options;
  int latency_budget_ms = 50;
  int probe_interval_ms = 5000;
  serve_cmd->add_option("--genesis", genesis_file,
                        "genesis file (env CHAIN_GENESIS); unused when CHAIN_ID, CHAIN_VALIDATORS and "
                        "CHAIN_GENESIS_TIME_MS spell the genesis out");
  serve_cmd->add_option("--etcd", etcd,
                        "comma-separated client URLs of the ordering etcd members (env CHAIN_ETCD)");
  serve_cmd->add_option("--listen", listen, "comma-separated ip:port of the API (env CHAIN_LISTEN)");
  serve_cmd->add_option("--key-prefix", options.key_prefix,
                        "etcd key prefix (default /lucid-chain/<chain id>/)");
  auto* budget_option =
      serve_cmd
          ->add_option("--latency-budget-ms", latency_budget_ms,
                       "/health fails while the p95 of recent executions is above this (env "
                       "CHAIN_VM_LATENCY_BUDGET_MS, default 50)")
          ->check(CLI::Range(1, 60000));
  serve_cmd
      ->add_option("--probe-interval-ms", probe_interval_ms, "how often the probe's timed view call runs")
      ->check(CLI::Range(100, 600000));

  auto* health_cmd =
      app.add_subcommand("health", "exit 0 when the VM's /health answers 200 (the healthcheck)");
  std::string health_url = "http://127.0.0.1:8080/health";
  health_cmd->add_option("--url", health_url, "the health endpoint");

  auto* status_cmd = app.add_subcommand("status", "print the VM's /v1/status");
  std::string status_url = "http://127.0.0.1:8080/v1/status";
  status_cmd->add_option("--url", status_url, "the status endpoint");

  auto* abi_tests_cmd = app.add_subcommand(
      "abi-tests",
      "run the ABI self-test in this process: exit 0 when every case passes (blockchain.vm-abi-tests)");
  bool as_json = false;
  abi_tests_cmd->add_flag("--json", as_json, "print the report as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*health_cmd) return lucid::print_endpoint(health_url, "lucid-blockchain-virtual-machine");
  if (*status_cmd) return lucid::print_endpoint(status_url, "lucid-blockchain-virtual-machine");
  if (*abi_tests_cmd) return abi_tests(as_json);
  options.etcd_endpoints = lucid::split_comma_list(etcd);
  if (options.etcd_endpoints.empty())
    return fail_with("--etcd (or CHAIN_ETCD) is required: the ordering cluster's client URLs");
  if (budget_option->count() == 0) {
    auto from_env = lucid::parse_number_in<int>(env_or("CHAIN_VM_LATENCY_BUDGET_MS", "50"), 1, 60000,
                                                "CHAIN_VM_LATENCY_BUDGET_MS");
    if (!from_env) return fail_with(from_env.error().message);
    latency_budget_ms = *from_env;
  }
  lucid::chain::VmApiOptions api_options;
  api_options.latency_budget = std::chrono::milliseconds(latency_budget_ms);
  api_options.probe_interval = std::chrono::milliseconds(probe_interval_ms);
  return serve(genesis_file, std::move(options), api_options, lucid::split_comma_list(listen));
}
