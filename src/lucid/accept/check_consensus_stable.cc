// blockchain.consensus-stable: the site's validator (`lucid-blockchain-core status` run inside the
// blockchain-core container, so it reaches the API on the container's loopback), read twice a
// consensus window apart, must be connected to its etcd ordering cluster, not halted, without
// incidents, and every block it had at the first reading final by the second. A validator that
// stopped finalizing fails; an idle chain whose head is final passes.
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/accept/checks.h"
#include "lucid/base/subprocess.h"

namespace lucid::accept {

using namespace std::chrono_literals;

namespace {

Result<nlohmann::json> read_status(RunContext& ctx, const engine::ContainerState& core) {
  auto status = exec_json(ctx, core, {"/usr/local/bin/lucid-blockchain-core", "status"}, "height");
  if (!status) return std::unexpected(status.error());
  if (status->exit_code != 0)
    return fail(ErrorKind::kIo, fmt::format("lucid-blockchain-core status exited {}: the API answered {}",
                                            status->exit_code, first_line(status->document.dump())));
  return std::move(status->document);
}

}  // namespace

CheckResult check_consensus_stable(const CheckSpec& spec, RunContext& ctx) {
  CheckResult r = result_for(spec);
  r.outcome = Outcome::kFail;
  const auto* core = ctx.running("blockchain-core");
  if (core == nullptr) {
    r.evidence = fmt::format("blockchain-core is {}", service_state(ctx, "blockchain-core"));
    return r;
  }
  ctx.say("blockchain-core: status in " + core->name);
  auto first = read_status(ctx, *core);
  if (!first) {
    r.evidence = fmt::format("cannot ask the validator: {}", first.error().message);
    return r;
  }
  std::this_thread::sleep_for(ctx.settings.consensus_window);
  auto second = read_status(ctx, *core);
  if (!second) {
    r.evidence = fmt::format("cannot ask the validator: {}", second.error().message);
    return r;
  }
  const std::uint64_t height = second->value("height", 0ULL);
  const std::uint64_t final_height = second->value("final_height", 0ULL);
  const std::uint64_t earlier_final = first->value("final_height", 0ULL);
  const std::uint64_t earlier_height = first->value("height", 0ULL);
  r.detail = {{"validator", second->value("validator", "")},
              {"chain_id", second->value("chain_id", "")},
              {"height", height},
              {"final_height", final_height},
              {"height_before", earlier_height},
              {"final_height_before", earlier_final},
              {"window_ms", ctx.settings.consensus_window.count()},
              {"incidents", second->value("incidents", nlohmann::json::array())}};
  std::vector<std::string> problems;
  if (second->value("halted", false)) problems.push_back("the validator halted on an incident");
  if (!second->value("connected", false))
    problems.push_back(fmt::format("not connected to etcd: {}", second->value("last_error", "")));
  if (const auto& incidents = (*second)["incidents"]; incidents.is_array() && !incidents.empty())
    problems.push_back(
        fmt::format("{} incident(s), the last: {}", incidents.size(), incidents.back().value("detail", "?")));
  if (final_height < earlier_final) problems.push_back("the final height went back");
  if (final_height < earlier_height)
    problems.push_back(
        fmt::format("block {} (the head {} s earlier) is still not final: finality is not keeping up",
                    earlier_height, ctx.settings.consensus_window.count() / 1000.0));
  if (problems.empty()) {
    r.outcome = Outcome::kPass;
    r.evidence = fmt::format(
        "validator {}: head {}, final {} (head {} {} s earlier, now final), etcd connected, "
        "no incident",
        second->value("validator", "").substr(0, 12), height, final_height, earlier_height,
        ctx.settings.consensus_window.count() / 1000.0);
  } else {
    r.evidence = fmt::format("head {}, final {}: {}", height, final_height, fmt::join(problems, "; "));
  }
  return r;
}

}  // namespace lucid::accept
