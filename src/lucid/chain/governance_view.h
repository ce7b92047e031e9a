// What blockchain-governances shows of the Governance and ParamRegistry contracts: their state read at
// one height (the parameters in force, the proposals by status behind a cursor, the timelock) and the
// JSON forms of docs/formats.md "Data chain: the API of lucid-blockchain-governances". Pure: a State and
// its height in, values out; the service reads them at the final height.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/result.h"
#include "lucid/chain/governance.h"
#include "lucid/chain/param_registry.h"
#include "lucid/chain/state.h"

namespace lucid::chain {

struct ProposalEntry {
  std::uint64_t id = 0;
  Proposal proposal;
};

// An approved proposal whose earliest execution height the chain has reached at `height`: an execute
// in any later block passes the timelock.
bool executable_at(const Proposal& proposal, std::uint64_t height);

// One parameter: its built-in row and the reading in force.
struct ParamRow {
  ParamSpec spec;
  ParamReading reading;
};
// Every parameter of the built-in table, in its order.
Result<std::vector<ParamRow>> read_params(const State& state);

// Bounds of one listing: a request asks for at most kMaxProposalsPerPage and examines at most
// kMaxProposalsScanned ids, so its cost does not grow with the number of proposals.
inline constexpr std::size_t kDefaultProposalsPerPage = 100;
inline constexpr std::size_t kMaxProposalsPerPage = 1000;
inline constexpr std::uint64_t kMaxProposalsScanned = 10000;

struct ProposalPage {
  std::vector<ProposalEntry> proposals;
  std::uint64_t count = 0;                  // proposals in the state (ids 1..count)
  std::optional<std::uint64_t> next_after;  // the cursor of the next page; none: nothing more
};
// The proposals with ids above `after` in id order, only those of `status` when given: at most
// `limit` of them, looking at no more than kMaxProposalsScanned ids.
Result<ProposalPage> list_proposals(const State& state, std::optional<ProposalStatus> status,
                                    std::uint64_t after, std::size_t limit);

// Every proposal counted by status, and the approved ones (timelocked or executable) in id order.
// Linear in the number of proposals, which only governors make, one transaction each.
struct ProposalTally {
  std::array<std::uint64_t, 4> by_status{};  // indexed by ProposalStatus's value
  std::vector<ProposalEntry> approved;
};
Result<ProposalTally> tally_proposals(const State& state);

nlohmann::json param_row_to_json(const ParamRow& row);
// The record with what follows from `height`: blocks until executable, whether it is executable now.
nlohmann::json proposal_to_json(const ProposalEntry& entry, std::uint64_t height);
// {"height", "waiting": [...], "executable": [...]} from the approved proposals at `height`.
nlohmann::json timelock_to_json(const std::vector<ProposalEntry>& approved, std::uint64_t height);

}  // namespace lucid::chain
