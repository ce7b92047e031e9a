// lucid-blockchain-ledger: the data chain's archive and snapshots (issue 14, docs/chain.md
// "blockchain-ledger", "Snapshots and replay"). `serve` is the service: it follows the chain as an
// observer, archives every final block with its votes and receipts, writes a snapshot every N final
// blocks and serves them read-only. `snapshot` executes the chain etcd holds up to a final height and
// writes the state two thirds of the validators signed there; `verify` checks a snapshot file;
// `replay` starts from a snapshot, executes every later block and checks that it reaches the roots
// the validators signed. `health` and `status` ask a running service.
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lucid/base/endpoint_probe.h"
#include "lucid/base/env.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/shutdown_signals.h"
#include "lucid/base/text.h"
#include "lucid/chain/ledger.h"
#include "lucid/chain/ordering.h"
#include "lucid/chain/service_config.h"
#include "lucid/chain/snapshot.h"
#include "lucid/ledger_archive/archive_api.h"
#include "lucid/ledger_archive/archiver.h"

namespace {

using lucid::chain::Ledger;
using nlohmann::json;

using lucid::env_or;

int fail_with(const std::string& message) {
  fmt::print(stderr, "lucid-blockchain-ledger: {}\n", message);
  return 1;
}

// Feeds `ledger` the blocks etcd ordered from its head on (up to `to`, 0: all) and their votes.
// Fails on an etcd error or on the first incident (a replay that disagrees with the chain).
lucid::Status follow(Ledger& ledger, lucid::chain::EtcdClient& etcd, const lucid::chain::OrderingKeys& keys,
                     std::uint64_t to) {
  std::optional<lucid::chain::Incident> incident;
  auto blocks =
      lucid::chain::read_ordered_blocks(etcd, keys, ledger.height() + 1, [&](const std::string& text) {
        auto document = json::parse(text, nullptr, false);
        auto block = document.is_discarded() ? lucid::fail(lucid::ErrorKind::kCorrupt, "not JSON")
                                             : lucid::chain::parse_block(document);
        if (!block) {
          incident =
              lucid::chain::Incident{"invalid-block", ledger.height() + 1, block.error().message, {}, true};
          return false;
        }
        if (to != 0 && block->header.height > to) return false;
        auto appended = ledger.append(*block);
        if (!appended) incident = appended.error();
        return appended.has_value();
      });
  if (!blocks) return blocks;
  if (incident)
    return lucid::fail(lucid::ErrorKind::kCorrupt, fmt::format("{} at height {}: {}", incident->kind,
                                                               incident->height, incident->detail));
  const std::uint64_t first_vote = std::max<std::uint64_t>(ledger.base_height() + 1, 1);
  auto votes =
      lucid::chain::read_ordered_votes(etcd, keys, first_vote, ledger.height(), [&](const std::string& text) {
        auto document = json::parse(text, nullptr, false);
        if (document.is_discarded()) return true;
        auto vote = lucid::chain::parse_vote(document);
        if (!vote) return true;  // not a vote: counts for nothing
        for (const auto& found : ledger.add_vote(*vote))
          if (found.halts) incident = found;
        return !incident;
      });
  if (!votes) return votes;
  if (incident)
    return lucid::fail(lucid::ErrorKind::kCorrupt, fmt::format("{} at height {}: {}", incident->kind,
                                                               incident->height, incident->detail));
  return {};
}

json summary(const lucid::chain::Snapshot& snapshot) {
  return json{{"chain_id", snapshot.chain_id},
              {"height", snapshot.height},
              {"block", lucid::to_hex(snapshot.block)},
              {"state_root", lucid::to_hex(snapshot.state_root)},
              {"entries", snapshot.state.entries().size()}};
}

int serve(lucid::ledger_archive::ArchiverOptions options, const std::vector<std::string>& listen) {
  const lucid::ShutdownSignals signals;  // before any thread starts

  auto archiver = lucid::ledger_archive::Archiver::start(std::move(options));
  if (!archiver) return fail_with(archiver.error().message);
  lucid::ledger_archive::ArchiveApi api(**archiver);
  lucid::http::ServerOptions server_options;
  auto server = lucid::http::Server::start(
      listen, [&api](const lucid::http::Request& request) { return api.handle(request); }, server_options);
  if (!server) return fail_with(fmt::format("--listen: {}", server.error().message));
  fmt::print(stderr, "lucid-blockchain-ledger: archiving chain {:?} in {}, serving on {}\n",
             (*archiver)->status().value("chain_id", ""), (*archiver)->store_directory().string(),
             fmt::join(listen, ", "));
  const int sig = signals.wait();
  fmt::print(stderr, "lucid-blockchain-ledger: signal {}: stopping\n", sig);
  (*server)->stop();
  (*archiver)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lucid-blockchain-ledger — snapshots of Lucid's data chain and replay from them (docs/chain.md)"};
  app.require_subcommand(1);
  std::string genesis_file, etcd, key_prefix, snapshot_file;
  std::uint64_t height = 0;

  auto* snapshot_cmd = app.add_subcommand(
      "snapshot",
      "execute the chain in etcd up to a final height and write the state signed there; prints its summary");
  snapshot_cmd->add_option("--genesis", genesis_file, "the chain's genesis file")->required();
  snapshot_cmd->add_option("--etcd", etcd, "comma-separated client URLs of the ordering etcd members")
      ->required();
  snapshot_cmd->add_option("--key-prefix", key_prefix, "etcd key prefix (default /lucid-chain/<chain id>/)");
  snapshot_cmd->add_option("--height", height, "the height to snapshot (default: the highest final one)");
  snapshot_cmd->add_option("--out", snapshot_file, "the snapshot file to write (atomically)")->required();

  auto* verify_cmd = app.add_subcommand(
      "verify", "check a snapshot file (checksum, entry order, state root); prints its summary");
  verify_cmd->add_option("--snapshot", snapshot_file, "the snapshot file")->required();

  auto* replay_cmd = app.add_subcommand(
      "replay",
      "start from a snapshot, execute every later block in etcd and check the roots the validators signed");
  replay_cmd->add_option("--genesis", genesis_file, "the chain's genesis file")->required();
  replay_cmd->add_option("--etcd", etcd, "comma-separated client URLs of the ordering etcd members")
      ->required();
  replay_cmd->add_option("--key-prefix", key_prefix, "etcd key prefix (default /lucid-chain/<chain id>/)");
  replay_cmd->add_option("--snapshot", snapshot_file, "the snapshot to start from")->required();
  replay_cmd->add_option("--to", height, "stop after this height (default: the head)");

  auto* serve_cmd = app.add_subcommand(
      "serve", "follow the chain, archive its final blocks, write snapshots, serve them (the service)");
  lucid::ledger_archive::ArchiverOptions archive;
  std::string directory = env_or("LEDGER_DIR", "/var/lib/lucid");
  std::string listen = env_or("CHAIN_LISTEN", "0.0.0.0:8080");
  std::string serve_genesis = env_or("CHAIN_GENESIS", "/etc/lucid/chain/genesis.json");
  std::string serve_etcd = env_or("CHAIN_ETCD", "");
  serve_cmd->add_option(
      "--genesis", serve_genesis,
      "the chain's genesis file (env CHAIN_GENESIS); unused when CHAIN_ID, CHAIN_VALIDATORS "
      "and CHAIN_GENESIS_TIME_MS spell it out");
  serve_cmd->add_option("--etcd", serve_etcd,
                        "comma-separated client URLs of the ordering etcd (env CHAIN_ETCD)");
  serve_cmd->add_option("--key-prefix", key_prefix, "etcd key prefix (default /lucid-chain/<chain id>/)");
  serve_cmd->add_option("--dir", directory, "holds archive.db and snapshots/ (env LEDGER_DIR)");
  serve_cmd->add_option("--listen", listen, "ip:port, comma-separated (env CHAIN_LISTEN)");
  serve_cmd->add_option("--snapshot-every", archive.snapshot_every, "final blocks between two snapshots")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
  serve_cmd->add_option("--keep-snapshots", archive.keep_snapshots, "snapshots kept (the oldest go)")
      ->check(CLI::Range(1, 1000));
  serve_cmd->add_option("--max-lag-blocks", archive.max_lag_blocks,
                        "health fails when the archive is further behind the final height");

  auto* health_cmd =
      app.add_subcommand("health", "exit 0 when the service's /health answers 200 (the healthcheck)");
  std::string health_url = "http://127.0.0.1:8080/health";
  health_cmd->add_option("--url", health_url, "the health endpoint");
  auto* status_cmd = app.add_subcommand("status", "print the service's /v1/status");
  std::string status_url = "http://127.0.0.1:8080/v1/status";
  status_cmd->add_option("--url", status_url, "the status endpoint");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*health_cmd) return lucid::print_endpoint(health_url, "lucid-blockchain-ledger");
  if (*status_cmd) return lucid::print_endpoint(status_url, "lucid-blockchain-ledger");
  if (*serve_cmd) {
    auto genesis = lucid::chain::service_genesis(serve_genesis);
    if (!genesis) return fail_with(genesis.error().message);
    archive.chain.genesis = std::move(*genesis);
    archive.chain.etcd_endpoints = lucid::split_comma_list(serve_etcd);
    archive.chain.key_prefix = key_prefix;
    if (archive.chain.etcd_endpoints.empty())
      return fail_with("--etcd (or CHAIN_ETCD) is required: the ordering cluster's client URLs");
    archive.directory = directory;
    return serve(std::move(archive), lucid::split_comma_list(listen));
  }

  if (*verify_cmd) {
    auto snapshot = lucid::chain::read_snapshot(snapshot_file);
    if (!snapshot) return fail_with(snapshot.error().message);
    fmt::print("{}\n", summary(*snapshot).dump());
    return 0;
  }

  auto genesis = lucid::chain::load_genesis_file(genesis_file);
  if (!genesis) return fail_with(genesis.error().message);
  lucid::chain::EtcdClient client(lucid::split_comma_list(etcd));
  const lucid::chain::OrderingKeys keys{
      key_prefix.empty() ? lucid::chain::default_key_prefix(genesis->chain_id) : key_prefix};
  const lucid::chain::Vm vm(genesis->validators);

  if (*snapshot_cmd) {
    Ledger ledger(*genesis, vm);
    if (auto followed = follow(ledger, client, keys, height); !followed)
      return fail_with(followed.error().message);
    if (height != 0 && ledger.final_height() < height)
      return fail_with(
          fmt::format("height {} is not final (final: {}, head: {}): snapshots are of final heights", height,
                      ledger.final_height(), ledger.height()));
    auto snapshot = ledger.final_snapshot();
    if (!snapshot) return fail_with("no final block yet: nothing to snapshot");
    if (auto written = lucid::chain::write_snapshot(snapshot_file, *snapshot); !written)
      return fail_with(written.error().message);
    fmt::print("{}\n", summary(*snapshot).dump());
    return 0;
  }

  auto snapshot = lucid::chain::read_snapshot(snapshot_file);
  if (!snapshot) return fail_with(snapshot.error().message);
  auto ledger = Ledger::from_snapshot(*genesis, vm, *snapshot);
  if (!ledger) return fail_with(ledger.error().message);
  if (auto followed = follow(*ledger, client, keys, height); !followed)
    return fail_with(followed.error().message);
  const std::uint64_t final_height = ledger->final_height();
  json out{{"from", snapshot->height},
           {"head", ledger->height()},
           {"head_state_root", lucid::to_hex(ledger->head_state_root())},
           {"final_height", final_height}};
  if (final_height > snapshot->height) {
    const auto* block = ledger->block(final_height);
    out["final_state_root"] = lucid::to_hex(block->state_root);
    std::size_t signers = 0;
    for (const auto& [validator, vote] : block->votes)
      signers += vote.state_root == block->state_root ? 1 : 0;
    out["signed_by"] = signers;
  }
  fmt::print("{}\n", out.dump());
  return 0;
}
