// blockchain-governances without processes: the views of Governance and ParamRegistry at a height
// (parameters, proposals behind a cursor, the timelock), the executor's decision of what is due (a pure
// function of the state: timelock, head state, retry after a revert), the bounds check endpoint and the
// timelock health. States are made by the real Vm executing real signed transactions.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chain_client.h"
#include "lucid/base/hex.h"
#include "lucid/chain/governance_executor.h"
#include "lucid/chain/governance_view.h"
#include "lucid/chain/governances_api.h"
#include "lucid/chain/vm.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using test_client::call_transaction;
using test_client::fixed_key;

json body_of(const http::Response& response) {
  return json::parse(response.body);
}

// Three governors (quorum at 67 %: two yes-votes). By height 6: proposal 1 (timelockBlocks = 20)
// approved at height 3, executable from 13; proposal 2 (maxBlockTransactions = 400) pending; proposal 3
// (governanceQuorumPercent = 51) rejected.
class GovernancesViewTest : public ::testing::Test {
 protected:
  GovernancesViewTest() : vm_({a_.public_key(), b_.public_key(), c_.public_key()}) {
    propose(a_, Param::kTimelockBlocks, 20);
    vote(a_, 1, true);
    vote(b_, 1, true);
    propose(b_, Param::kMaxTransactionsPerBlock, 400);
    propose(c_, Param::kGovernanceQuorumPercent, 51);
    vote(a_, 3, false);
    vote(b_, 3, false);
  }

  Receipt run(const crypto::Ed25519KeyPair& sender, const std::string& contract, const std::string& function,
              const std::vector<AbiValue>& arguments, State& state) {
    ++height_;
    Transaction tx =
        call_transaction(sender, Vm::next_nonce(state, sender.public_key()), contract, function, arguments);
    return vm_.apply(state, tx, height_, 1000 * height_);
  }
  void propose(const crypto::Ed25519KeyPair& sender, Param param, std::uint64_t value) {
    Receipt receipt = run(sender, "Governance", "propose",
                          {AbiValue::bytes(param_name_word(param)), AbiValue::uint(value)}, state_);
    ASSERT_TRUE(receipt.success) << receipt.error;
  }
  void vote(const crypto::Ed25519KeyPair& sender, std::uint64_t id, bool support) {
    Receipt receipt =
        run(sender, "Governance", "vote", {AbiValue::uint(id), AbiValue::boolean(support)}, state_);
    ASSERT_TRUE(receipt.success) << receipt.error;
  }

  crypto::Ed25519KeyPair a_ = fixed_key(0xa1), b_ = fixed_key(0xb2), c_ = fixed_key(0xc3);
  Vm vm_;
  State state_;
  std::uint64_t height_ = 0;
};

TEST_F(GovernancesViewTest, ProposalsAreListedByStatusBehindACursor) {
  auto all = list_proposals(state_, std::nullopt, 0, 100);
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(all->count, 3u);
  ASSERT_EQ(all->proposals.size(), 3u);
  EXPECT_FALSE(all->next_after.has_value());
  EXPECT_EQ(all->proposals[0].proposal.status, ProposalStatus::kApproved);
  EXPECT_EQ(all->proposals[1].proposal.status, ProposalStatus::kPending);
  EXPECT_EQ(all->proposals[2].proposal.status, ProposalStatus::kRejected);

  auto first = list_proposals(state_, std::nullopt, 0, 1);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->proposals.size(), 1u);
  EXPECT_EQ(first->proposals[0].id, 1u);
  ASSERT_TRUE(first->next_after.has_value());
  auto second = list_proposals(state_, std::nullopt, *first->next_after, 1);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->proposals.size(), 1u);
  EXPECT_EQ(second->proposals[0].id, 2u);

  auto rejected = list_proposals(state_, ProposalStatus::kRejected, 0, 100);
  ASSERT_TRUE(rejected.has_value());
  ASSERT_EQ(rejected->proposals.size(), 1u);
  EXPECT_EQ(rejected->proposals[0].id, 3u);
  auto past_the_end = list_proposals(state_, std::nullopt, 3, 100);
  ASSERT_TRUE(past_the_end.has_value());
  EXPECT_TRUE(past_the_end->proposals.empty());
  EXPECT_FALSE(past_the_end->next_after.has_value());

  auto tally = tally_proposals(state_);
  ASSERT_TRUE(tally.has_value());
  EXPECT_EQ(tally->by_status, (std::array<std::uint64_t, 4>{1, 1, 0, 1}));
  ASSERT_EQ(tally->approved.size(), 1u);
  EXPECT_EQ(tally->approved[0].id, 1u);

  EXPECT_EQ(parse_proposal_status("approved"), ProposalStatus::kApproved);
  EXPECT_FALSE(parse_proposal_status("Approved").has_value());
}

TEST_F(GovernancesViewTest, ProposalRecordAndTimelockFollowTheHeight) {
  auto proposal = read_proposal(state_, 1);
  ASSERT_TRUE(proposal.has_value());
  const json waiting = proposal_to_json(ProposalEntry{1, *proposal}, 10);
  EXPECT_EQ(waiting["parameter"], "timelockBlocks");
  EXPECT_EQ(waiting["value"], 20);
  EXPECT_EQ(waiting["status"], "approved");
  EXPECT_EQ(waiting["proposer"], to_hex(a_.public_key()));
  EXPECT_EQ(waiting["yes_votes"], 2);
  EXPECT_EQ(waiting["no_votes"], 0);
  EXPECT_EQ(waiting["approval_height"], 3);
  EXPECT_EQ(waiting["earliest_execution_height"], 13);
  EXPECT_EQ(waiting["blocks_until_executable"], 3);
  EXPECT_EQ(waiting["executable"], false);
  const json ready = proposal_to_json(ProposalEntry{1, *proposal}, 13);
  EXPECT_EQ(ready["blocks_until_executable"], 0);
  EXPECT_EQ(ready["executable"], true);
  auto pending = read_proposal(state_, 2);
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(proposal_to_json(ProposalEntry{2, *pending}, 13)["blocks_until_executable"].is_null());

  auto tally = tally_proposals(state_);
  ASSERT_TRUE(tally.has_value());
  const json before = timelock_to_json(tally->approved, 10);
  ASSERT_EQ(before["waiting"].size(), 1u);
  EXPECT_EQ(before["waiting"][0]["blocks_remaining"], 3);
  EXPECT_TRUE(before["executable"].empty());
  const json after = timelock_to_json(tally->approved, 15);
  EXPECT_TRUE(after["waiting"].empty());
  ASSERT_EQ(after["executable"].size(), 1u);
  EXPECT_EQ(after["executable"][0]["id"], 1);
  EXPECT_EQ(after["executable"][0]["executable_for_blocks"], 2);
}

TEST_F(GovernancesViewTest, DueForExecutionOnlyPastTheTimelockNotExecutedAndNotRetriedTooSoon) {
  auto at = [&](std::uint64_t height, const State& head, const ExecutionFailures& failures = {}) {
    auto due = due_for_execution(state_, height, head, failures, 10);
    EXPECT_TRUE(due.has_value());
    std::vector<std::uint64_t> ids;
    for (const ProposalEntry& entry : due.value_or(std::vector<ProposalEntry>{})) ids.push_back(entry.id);
    return ids;
  };
  EXPECT_TRUE(at(12, state_).empty()) << "timelocked until 13";
  EXPECT_EQ(at(13, state_), std::vector<std::uint64_t>{1});
  EXPECT_EQ(at(40, state_), std::vector<std::uint64_t>{1});

  // A revert at height 14 waits retry_blocks (10) final blocks.
  const ExecutionFailures reverted{{1, FailedExecution{"refused", 14}}};
  EXPECT_TRUE(at(14, state_, reverted).empty());
  EXPECT_TRUE(at(23, state_, reverted).empty());
  EXPECT_EQ(at(24, state_, reverted), std::vector<std::uint64_t>{1});

  // Executed in a block above the final height: the head state says so, nothing is due.
  State head = state_;
  height_ = 13;
  Receipt executed = run(c_, "Governance", "execute", {AbiValue::uint(1)}, head);
  ASSERT_TRUE(executed.success) << executed.error;
  EXPECT_TRUE(at(13, head).empty());

  // The parameters at the head: the executed value with its height, the rest at their defaults.
  auto params = read_params(head);
  ASSERT_TRUE(params.has_value());
  ASSERT_EQ(params->size(), param_specs().size());
  const json timelock = param_row_to_json((*params)[0]);
  EXPECT_EQ(timelock, (json{{"name", "timelockBlocks"},
                            {"value", 20},
                            {"default", 10},
                            {"min", 1},
                            {"max", 100000},
                            {"changed_at", 14}}));
  const json block_size = param_row_to_json((*params)[1]);
  EXPECT_EQ(block_size["value"], 500);
  EXPECT_EQ(block_size["changed_at"], 0);
  // And before the execute, the final state still reads the default.
  EXPECT_EQ(param_row_to_json(read_params(state_).value()[0])["value"], 10);
}

TEST(GovernancesCheckTest, AcceptsWhatTheContractAcceptsAndRefusesWithTheBounds) {
  const http::Response ok = check_proposal(R"({"parameter": "maxBlockTransactions", "value": 400})");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(
      body_of(ok),
      (json{{"ok", true}, {"parameter", "maxBlockTransactions"}, {"value", 400}, {"min", 1}, {"max", 1000}}));
  EXPECT_EQ(check_proposal(R"({"parameter": "timelockBlocks", "value": "100000"})").status, 200);

  const http::Response high = check_proposal(R"({"parameter": "maxBlockTransactions", "value": 5000})");
  EXPECT_EQ(high.status, 422);
  EXPECT_EQ(body_of(high)["ok"], false);
  EXPECT_EQ(body_of(high)["min"], 1);
  EXPECT_EQ(body_of(high)["max"], 1000);
  EXPECT_NE(body_of(high)["error"].get<std::string>().find("outside its bounds [1, 1000]"),
            std::string::npos);
  EXPECT_EQ(check_proposal(R"({"parameter": "governanceQuorumPercent", "value": 50})").status, 422);
  // Above 2^64 in a uint256 is refused as out of bounds, as the contract refuses it.
  EXPECT_EQ(check_proposal(R"({"parameter": "timelockBlocks", "value": "18446744073709551616"})").status,
            422);

  const http::Response unknown = check_proposal(R"({"parameter": "blockReward", "value": 1})");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(body_of(unknown)["parameters"].size(), param_specs().size());

  for (const char* malformed :
       {"", "[]", R"({"parameter": "timelockBlocks"})", R"({"value": 3})", R"({"parameter": 7, "value": 3})",
        R"({"parameter": "timelockBlocks", "value": -3})", R"({"parameter": "timelockBlocks", "value": 2.5})",
        R"({"parameter": "timelockBlocks", "value": "012"})",
        R"({"parameter": "timelockBlocks", "value": 3, "extra": 1})"})
    EXPECT_EQ(check_proposal(malformed).status, 400) << malformed;
}

TEST(GovernancesHealthTest, FailsWhenTheObserverCannotBeTrustedOrAProposalWaitsPastTheGrace) {
  ValidatorStatus chain;
  chain.connected = true;
  Proposal approved;
  approved.status = ProposalStatus::kApproved;
  approved.param = Param::kMaxTransactionsPerBlock;
  approved.value = 400;
  approved.earliest_execution_height = 20;
  const std::vector<ProposalEntry> proposals{{7, approved}};

  EXPECT_TRUE(timelock_health(chain, proposals, 10, 5).ok) << "still timelocked";
  EXPECT_TRUE(timelock_health(chain, proposals, 25, 5).ok) << "executable for 5 blocks: within the grace";
  const TimelockHealth stuck = timelock_health(chain, proposals, 26, 5);
  EXPECT_FALSE(stuck.ok);
  EXPECT_EQ(stuck.overdue, std::vector<std::uint64_t>{7});
  EXPECT_NE(stuck.error.find("proposal 7 (maxBlockTransactions = 400)"), std::string::npos) << stuck.error;

  ValidatorStatus disconnected;
  disconnected.last_error = "connection refused";
  EXPECT_FALSE(timelock_health(disconnected, {}, 0, 5).ok);
  ValidatorStatus halted = chain;
  halted.halted = true;
  halted.incidents.push_back(Incident{"invalid-block", 3, "tx root differs", {}, true});
  const TimelockHealth refused = timelock_health(halted, {}, 0, 5);
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("tx root differs"), std::string::npos);
}

}  // namespace
}  // namespace lucid::chain
