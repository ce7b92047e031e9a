// blockchain-governances' HTTP API (docs/formats.md "Data chain: the API of
// lucid-blockchain-governances"): the parameters in force, the proposals and the timelock read at the
// observer's final height; the bounds check tools make before they sign a proposal; the executor's
// status; the timelock health; metrics. It writes nothing: the executor is the only writer, on chain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/http_server.h"
#include "lucid/chain/governance_executor.h"
#include "lucid/chain/governance_view.h"
#include "lucid/chain/validator.h"

namespace lucid::chain {

// POST /v1/proposals/check's answer to `body` ({"parameter": name, "value": integer or decimal
// string}): 200 {"ok": true, ...} when Governance would accept the proposal's value, 422 {"ok": false,
// "error", "min", "max"} when it would refuse it at submission (check_param_value; an unknown
// parameter lists the names), 400 for a malformed body.
http::Response check_proposal(std::string_view body);

// The timelock's health at `final_height`: failing when the observer is disconnected or halted, or
// when an approved proposal has been executable for more than `grace_blocks` final blocks (its
// executor is stuck or absent); `overdue` names those proposals.
struct TimelockHealth {
  bool ok = true;
  std::string error;  // one line, naming the cause
  std::vector<std::uint64_t> overdue;
};
TimelockHealth timelock_health(const ValidatorStatus& chain, const std::vector<ProposalEntry>& approved,
                               std::uint64_t final_height, std::uint64_t grace_blocks);

class GovernancesApi {
 public:
  // `observer` and `executor` must outlive the API.
  GovernancesApi(const Validator& observer, const GovernanceExecutor& executor, std::uint64_t grace_blocks)
      : observer_(observer), executor_(executor), grace_blocks_(grace_blocks) {}
  http::Response handle(const http::Request& request) const;

 private:
  http::Response params() const;
  http::Response proposals(const http::Request& request) const;
  http::Response proposal(const std::string& id_text) const;
  http::Response timelock() const;
  http::Response status() const;
  http::Response health() const;
  http::Response metrics() const;

  // The chain's status, the final height and the proposal tally there, read under one lock.
  struct Snapshot {
    ValidatorStatus chain;
    std::uint64_t final_height = 0;
    Result<ProposalTally> tally;
  };
  Snapshot snapshot() const;
  TimelockHealth health_of(const Snapshot& snapshot) const;

  const Validator& observer_;
  const GovernanceExecutor& executor_;
  std::uint64_t grace_blocks_;
};

}  // namespace lucid::chain
