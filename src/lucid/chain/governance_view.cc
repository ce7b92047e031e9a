#include "lucid/chain/governance_view.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/base/hex.h"

namespace lucid::chain {

using nlohmann::json;

bool executable_at(const Proposal& proposal, std::uint64_t height) {
  return proposal.status == ProposalStatus::kApproved && proposal.earliest_execution_height <= height;
}

Result<std::vector<ParamRow>> read_params(const State& state) {
  std::vector<ParamRow> rows;
  for (const ParamSpec& spec : param_specs()) {
    auto reading = param_reading(state, spec.param);
    if (!reading) return std::unexpected(reading.error());
    rows.push_back(ParamRow{spec, *reading});
  }
  return rows;
}

Result<ProposalPage> list_proposals(const State& state, std::optional<ProposalStatus> status,
                                    std::uint64_t after, std::size_t limit) {
  auto count = proposal_count(state);
  if (!count) return std::unexpected(count.error());
  limit = std::max<std::size_t>(limit, 1);
  ProposalPage page;
  page.count = *count;
  const std::uint64_t last_scanned =
      after >= *count ? *count : after + std::min(*count - after, kMaxProposalsScanned);
  for (std::uint64_t id = after + 1; id <= last_scanned; ++id) {
    auto proposal = read_proposal(state, id);
    if (!proposal) return std::unexpected(with_context(fmt::format("proposal {}", id), proposal.error()));
    if (status && proposal->status != *status) continue;
    if (page.proposals.size() == limit) {
      page.next_after = id - 1;  // this one matched but did not fit: the next page starts at it
      return page;
    }
    page.proposals.push_back(ProposalEntry{id, *proposal});
  }
  if (last_scanned < *count) page.next_after = last_scanned;
  return page;
}

Result<ProposalTally> tally_proposals(const State& state) {
  auto count = proposal_count(state);
  if (!count) return std::unexpected(count.error());
  ProposalTally tally;
  for (std::uint64_t id = 1; id <= *count; ++id) {
    auto proposal = read_proposal(state, id);
    if (!proposal) return std::unexpected(with_context(fmt::format("proposal {}", id), proposal.error()));
    ++tally.by_status[static_cast<std::size_t>(proposal->status)];
    if (proposal->status == ProposalStatus::kApproved) tally.approved.push_back(ProposalEntry{id, *proposal});
  }
  return tally;
}

json param_row_to_json(const ParamRow& row) {
  return json{
      {"name", row.spec.name}, {"value", row.reading.value}, {"default", row.spec.default_value},
      {"min", row.spec.min},   {"max", row.spec.max},        {"changed_at", row.reading.since_height}};
}

json proposal_to_json(const ProposalEntry& entry, std::uint64_t height) {
  const Proposal& p = entry.proposal;
  json record{{"id", entry.id},
              {"parameter", to_string(p.param)},
              {"value", p.value},
              {"status", to_string(p.status)},
              {"proposer", to_hex(p.proposer)},
              {"yes_votes", p.yes_votes},
              {"no_votes", p.no_votes},
              {"proposed_height", p.proposed_height},
              {"approval_height", p.approval_height},
              {"earliest_execution_height", p.earliest_execution_height},
              {"blocks_until_executable", nullptr},
              {"executable", executable_at(p, height)}};
  if (p.status == ProposalStatus::kApproved)
    record["blocks_until_executable"] =
        p.earliest_execution_height > height ? p.earliest_execution_height - height : 0;
  return record;
}

json timelock_to_json(const std::vector<ProposalEntry>& approved, std::uint64_t height) {
  auto waiting = json::array();
  auto executable = json::array();
  for (const auto& [id, proposal] : approved) {
    json item{{"id", id},
              {"parameter", to_string(proposal.param)},
              {"value", proposal.value},
              {"earliest_execution_height", proposal.earliest_execution_height}};
    if (executable_at(proposal, height)) {
      item["executable_for_blocks"] = height - proposal.earliest_execution_height;
      executable.push_back(std::move(item));
    } else {
      item["blocks_remaining"] = proposal.earliest_execution_height - height;
      waiting.push_back(std::move(item));
    }
  }
  return json{{"height", height}, {"waiting", waiting}, {"executable", executable}};
}

}  // namespace lucid::chain
