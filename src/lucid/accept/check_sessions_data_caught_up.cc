// blockchain.sessions-data-caught-up: the site's anchor indexer (`lucid-blockchain-sessions-data
// status --json`, run inside its container so it reaches its API on the container's loopback) has
// indexed the chain up to within its allowed lag of blockchain-core's final height, and its last
// poll of the chain succeeded. The program's exit status says whether it is caught up; the figures
// it prints are the evidence.
#include <fmt/format.h>

#include "lucid/accept/checks.h"

namespace lucid::accept {

CheckResult check_sessions_data_caught_up(const CheckSpec& spec, RunContext& ctx) {
  CheckResult r = result_for(spec);
  r.outcome = Outcome::kFail;
  const std::string service = "blockchain-sessions-data";
  const auto* indexer = ctx.running(service);
  if (indexer == nullptr) {
    r.evidence = fmt::format("{} is {}", service, service_state(ctx, service));
    return r;
  }
  ctx.say(fmt::format("{}: status in {}", service, indexer->name));
  auto status = exec_json(
      ctx, *indexer, {"/usr/local/bin/lucid-blockchain-sessions-data", "status", "--json"}, "indexed_height");
  if (!status) {
    r.evidence = fmt::format("cannot ask the indexer: {}", status.error().message);
    return r;
  }
  const nlohmann::json& s = status->document;
  const std::uint64_t indexed = s.value("indexed_height", 0ULL);
  const std::uint64_t chain_final = s.value("chain_final_height", 0ULL);
  const std::uint64_t lag = s.value("lag_blocks", 0ULL);
  const std::string last_error = s.value("last_error", "");
  r.detail = {{"indexed_height", indexed},
              {"chain_final_height", chain_final},
              {"lag_blocks", lag},
              {"sessions", s.value("sessions", 0ULL)},
              {"exit_code", status->exit_code},
              {"last_error", last_error}};
  if (status->exit_code == 0) {
    r.outcome = Outcome::kPass;
    r.evidence = fmt::format("indexed to height {} of final {} ({} block(s) behind), {} session(s)", indexed,
                             chain_final, lag, s.value("sessions", 0ULL));
  } else {
    r.evidence =
        fmt::format("not caught up: indexed to height {} of final {} ({} block(s) behind){}", indexed,
                    chain_final, lag, last_error.empty() ? "" : fmt::format("; last error: {}", last_error));
  }
  return r;
}

}  // namespace lucid::accept
