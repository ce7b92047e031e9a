// lucid-blockchain-ledger: snapshots of the data chain's state and replay from them (issue 14,
// docs/chain.md "Snapshots and replay"). `snapshot` executes the chain etcd holds up to a final
// height and writes the state two thirds of the validators signed there; `verify` checks a snapshot
// file; `replay` starts from a snapshot, executes every later block and checks that it reaches the
// roots the validators signed. The archival store and compaction of SPEC-4's blockchain-ledger
// service are not built yet.
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/text.h"
#include "lucid/chain/ledger.h"
#include "lucid/chain/ordering.h"
#include "lucid/chain/snapshot.h"

namespace {

using lucid::chain::Ledger;
using nlohmann::json;

int fail_with(const std::string& message) {
  fmt::print(stderr, "lucid-blockchain-ledger: {}\n", message);
  return 1;
}

lucid::Result<lucid::chain::Genesis> load_genesis(const std::string& path) {
  auto text = lucid::read_text_file(path);
  if (!text) return std::unexpected(text.error());
  auto document = json::parse(*text, nullptr, false);
  if (document.is_discarded())
    return lucid::fail(lucid::ErrorKind::kCorrupt, fmt::format("{}: not JSON", path));
  return lucid::chain::parse_genesis(document, path);
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*verify_cmd) {
    auto snapshot = lucid::chain::read_snapshot(snapshot_file);
    if (!snapshot) return fail_with(snapshot.error().message);
    fmt::print("{}\n", summary(*snapshot).dump());
    return 0;
  }

  auto genesis = load_genesis(genesis_file);
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
    const std::uint64_t at = ledger.final_height();
    if (at == 0) return fail_with("no final block yet: nothing to snapshot");
    const auto* block = ledger.block(at);
    lucid::chain::Snapshot snapshot{genesis->chain_id, at,
                                    block->hash,       block->block.header.time_ms,
                                    block->state_root, ledger.final_state()};
    if (auto written = lucid::chain::write_snapshot(snapshot_file, snapshot); !written)
      return fail_with(written.error().message);
    fmt::print("{}\n", summary(snapshot).dump());
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
