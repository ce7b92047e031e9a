// blockchain-virtual-machine's API (VmApi) over a real Ledger (blocks made and voted here, no etcd):
// view calls at the final and the head state, by name and as raw calldata, with every refusal;
// estimates on a copy of the head state that persist nothing; status, health and metrics.
#include <gtest/gtest.h>

#include "chain_client.h"
#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"
#include "lucid/chain/vm_api.h"
#include "testing/docker.h"

namespace lucid::chain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The Ledger of this test as the API's ChainSource; what status() reports is set by the test.
class LedgerSource final : public ChainSource {
 public:
  explicit LedgerSource(const Ledger& ledger) : ledger_(ledger) {}
  void read(const std::function<void(const Ledger&)>& read) const override { read(ledger_); }
  ValidatorStatus status() const override {
    ValidatorStatus status;
    status.chain_id = ledger_.genesis().chain_id;
    status.observer = true;
    status.height = ledger_.height();
    status.final_height = ledger_.final_height();
    status.connected = connected;
    status.halted = halted;
    return status;
  }
  bool connected = true;
  bool halted = false;

 private:
  const Ledger& ledger_;
};

class VmApiTest : public ::testing::Test {
 protected:
  VmApiTest() : vm(std::vector{validator.public_key()}), ledger(genesis(), vm), source(ledger) {}

  Genesis genesis() const { return Genesis{"lucid-test", {validator.public_key()}, 1000}; }

  // A block of `txs`, executed and (with `final`) voted by the only validator, so final.
  void add_block(std::vector<Transaction> txs, bool final) {
    Block block = make_block("lucid-test", ledger.height() + 1, ledger.head_hash(),
                             ledger.head_time_ms() + 10, std::move(txs), validator);
    ASSERT_TRUE(ledger.append(block).has_value());
    if (final) {
      const ExecutedBlock& executed = *ledger.block(ledger.height());
      EXPECT_TRUE(ledger
                      .add_vote(make_vote("lucid-test", ledger.height(), executed.hash, executed.state_root,
                                          validator))
                      .empty());
    }
  }

  http::Response request(VmApi& api, const std::string& method, const std::string& target,
                         const std::string& body = "") {
    http::Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    return api.handle(r);
  }
  json post(VmApi& api, const std::string& target, const json& body, int expected_status) {
    http::Response response = request(api, "POST", target, body.dump());
    EXPECT_EQ(response.status, expected_status) << target << " " << body.dump() << " -> " << response.body;
    return json::parse(response.body, nullptr, false);
  }
  json get(VmApi& api, const std::string& target, int expected_status) {
    http::Response response = request(api, "GET", target);
    EXPECT_EQ(response.status, expected_status) << target << " -> " << response.body;
    return json::parse(response.body, nullptr, false);
  }

  static json get_anchor(std::uint8_t session, const char* at = nullptr) {
    json body{{"contract", "AnchorRegistry"},
              {"function", "getAnchor"},
              {"arguments", {"0x" + to_hex(Bytes(16, session))}}};
    if (at != nullptr) body["at"] = at;
    return body;
  }

  crypto::Ed25519KeyPair validator = test_client::fixed_key(1);
  crypto::Ed25519KeyPair sender = test_client::fixed_key(0xa1);
  Vm vm;
  Ledger ledger;
  LedgerSource source;
};

TEST_F(VmApiTest, CallsReadTheFinalStateByDefaultAndTheHeadOnRequest) {
  add_block({test_client::anchor_transaction(sender, 0, 7)}, true);
  add_block({test_client::anchor_transaction(sender, 1, 8)}, false);  // executed, not final
  ASSERT_EQ(ledger.final_height(), 1u);
  VmApi api(source, {});

  json answer = post(api, "/v1/call", get_anchor(7), 200);
  EXPECT_EQ(answer["height"], 1);
  EXPECT_EQ(answer["at"], "final");
  EXPECT_EQ(answer["state_root"], to_hex(ledger.block(1)->state_root));
  EXPECT_EQ(answer["outputs"]["merkleRoot"], "0x" + to_hex(Bytes(32, 7)));
  EXPECT_EQ(answer["outputs"]["manifestHash"], "0x" + to_hex(Bytes(32, 0x4d)));
  EXPECT_EQ(answer["outputs"]["chunkCount"], "3");
  EXPECT_EQ(answer["outputs"]["height"], "1");
  // A view pays its storage reads (the anchor's record), and no transaction base.
  EXPECT_EQ(answer["gas_used"].get<std::uint64_t>() % vm.gas().storage_read, 0u) << answer;
  EXPECT_GE(answer["gas_used"].get<std::uint64_t>(), vm.gas().storage_read) << answer;
  EXPECT_LT(answer["gas_used"].get<std::uint64_t>(), vm.gas().transaction) << answer;

  // Session 8 is anchored only in the head state.
  json reverted = post(api, "/v1/call", get_anchor(8), 422);
  EXPECT_NE(reverted["error"].get<std::string>().find("is not anchored"), std::string::npos) << reverted;
  EXPECT_EQ(reverted["height"], 1);
  json at_head = post(api, "/v1/call", get_anchor(8, "head"), 200);
  EXPECT_EQ(at_head["height"], 2);
  EXPECT_EQ(at_head["state_root"], to_hex(ledger.head_state_root()));
  EXPECT_EQ(at_head["outputs"]["height"], "2");

  // The raw form answers the same bytes.
  const AbiFunction& function = *embedded_abi("AnchorRegistry").function("getAnchor");
  const AbiValue session = AbiValue::bytes(Bytes(16, 7));
  const Bytes calldata = encode_call(function, std::span(&session, 1)).value();
  json raw =
      post(api, "/v1/call", json{{"contract", "AnchorRegistry"}, {"data", "0x" + to_hex(calldata)}}, 200);
  EXPECT_EQ(raw["output"], answer["output"]);
  EXPECT_EQ(raw["outputs"], answer["outputs"]);

  // Functions without arguments, and ParamRegistry's defaults.
  json names = post(api, "/v1/call", json{{"contract", "ParamRegistry"}, {"function", "names"}}, 200);
  EXPECT_EQ(names["outputs"]["names"].size(), 4u);
  json governors = post(api, "/v1/call", json{{"contract", "Governance"}, {"function", "governors"}}, 200);
  EXPECT_EQ(governors["outputs"]["governors"], json::array({"0x" + to_hex(validator.public_key())}));
}

TEST_F(VmApiTest, CallsRefuseWhatIsMalformedUnknownOrNotAView) {
  add_block({test_client::anchor_transaction(sender, 0, 7)}, true);
  VmApi api(source, {});
  const auto error_of = [&](const json& body, int status) {
    return post(api, "/v1/call", body, status).value("error", std::string());
  };
  EXPECT_EQ(request(api, "POST", "/v1/call", "{not json").status, 400);
  EXPECT_NE(error_of(json{{"contract", "AnchorRegistry"},
                          {"function", "getAnchor"},
                          {"arguments", json::array()},
                          {"gas", 1}},
                     400)
                .find("gas"),
            std::string::npos);
  EXPECT_EQ(error_of(json{{"contract", "Anchor Registry"}, {"function", "getAnchor"}}, 400).empty(), false);
  EXPECT_NE(error_of(json{{"contract", "AnchorRegistry"}}, 400).find("either"), std::string::npos);
  EXPECT_NE(
      error_of(json{{"contract", "AnchorRegistry"}, {"function", "getAnchor"}, {"data", "0xaa01e7ee"}}, 400)
          .find("either"),
      std::string::npos);
  EXPECT_NE(error_of(json{{"contract", "AnchorRegistry"}, {"function", "getAnchor"}}, 400)
                .find("takes 1 arguments"),
            std::string::npos);
  EXPECT_NE(
      error_of(json{{"contract", "AnchorRegistry"}, {"function", "getAnchor"}, {"arguments", {"0x0102"}}},
               400)
          .find("arguments[0]"),
      std::string::npos);
  json bad_at = get_anchor(7);
  bad_at["at"] = "yesterday";
  EXPECT_NE(error_of(bad_at, 400).find("at"), std::string::npos);
  EXPECT_NE(error_of(json{{"contract", "AnchorRegistry"}, {"data", "0xaa01"}}, 400).find("selector"),
            std::string::npos);
  EXPECT_NE(error_of(json{{"contract", "AnchorRegistry"}, {"data", "0xzz"}}, 400).find("data"),
            std::string::npos);
  // getAnchor's selector with a truncated argument.
  EXPECT_EQ(error_of(json{{"contract", "AnchorRegistry"}, {"data", "0xaa01e7ee0000"}}, 400).empty(), false);

  EXPECT_NE(error_of(json{{"contract", "Nope"}, {"function", "getAnchor"}}, 404).find("no contract"),
            std::string::npos);
  EXPECT_NE(error_of(json{{"contract", "AnchorRegistry"}, {"function", "steal"}}, 404).find("no function"),
            std::string::npos);
  EXPECT_NE(
      error_of(json{{"contract", "AnchorRegistry"}, {"data", "0xdeadbeef"}}, 404).find("selector 0xdeadbeef"),
      std::string::npos);
  // A function that writes is a transaction, not a call.
  const auto anchor_args = json::array({"0x" + to_hex(Bytes(16, 9)), "0x" + to_hex(Bytes(32, 1)),
                                        "0x" + to_hex(Bytes(32, 2)), "3", "4", "0x" + to_hex(Bytes(32, 5))});
  EXPECT_NE(
      error_of(json{{"contract", "AnchorRegistry"}, {"function", "anchor"}, {"arguments", anchor_args}}, 400)
          .find("changes state"),
      std::string::npos);

  EXPECT_EQ(request(api, "GET", "/v1/call").status, 405);
  EXPECT_EQ(request(api, "POST", "/v1/status").status, 405);
  EXPECT_EQ(request(api, "GET", "/v1/nothing").status, 404);

  source.halted = true;
  EXPECT_EQ(request(api, "POST", "/v1/call", get_anchor(7).dump()).status, 503);
}

TEST_F(VmApiTest, EstimatesShowTheReceiptOnACopyOfTheHeadAndPersistNothing) {
  add_block({test_client::anchor_transaction(sender, 0, 7)}, true);
  VmApi api(source, {});
  const Hash root_before = ledger.state().root();

  json fresh =
      post(api, "/v1/estimate", transaction_to_json(test_client::anchor_transaction(sender, 1, 9)), 200);
  EXPECT_EQ(fresh["height"], 1);
  EXPECT_EQ(fresh["state_root"], to_hex(ledger.head_state_root()));
  EXPECT_EQ(fresh["receipt"]["success"], true) << fresh;
  EXPECT_GT(fresh["receipt"]["gas_used"].get<std::uint64_t>(), 21000u);
  ASSERT_EQ(fresh["receipt"]["logs"].size(), 1u);
  EXPECT_EQ(fresh["receipt"]["logs"][0]["event"], "Anchored");
  EXPECT_EQ(fresh["receipt"]["logs"][0]["arguments"]["merkleRoot"], "0x" + to_hex(Bytes(32, 9)));

  json duplicate =
      post(api, "/v1/estimate", transaction_to_json(test_client::anchor_transaction(sender, 1, 7)), 200);
  EXPECT_EQ(duplicate["receipt"]["success"], false);
  EXPECT_NE(duplicate["receipt"]["error"].get<std::string>().find("already anchored"), std::string::npos)
      << duplicate;
  EXPECT_GT(duplicate["receipt"]["gas_used"].get<std::uint64_t>(), 0u);

  // Nothing was persisted: the state, the sender's nonce and session 9.
  EXPECT_EQ(ledger.state().root(), root_before);
  EXPECT_EQ(Vm::next_nonce(ledger.state(), sender.public_key()), 1u);
  post(api, "/v1/call", get_anchor(9, "head"), 422);

  Transaction forged = test_client::anchor_transaction(sender, 1, 10);
  forged.data.back() ^= 1;
  EXPECT_EQ(request(api, "POST", "/v1/estimate", transaction_to_json(forged).dump()).status, 401);
  EXPECT_EQ(request(api, "POST", "/v1/estimate",
                    transaction_to_json(test_client::anchor_transaction(sender, 1, 10, "other-chain")).dump())
                .status,
            400);
  EXPECT_EQ(request(api, "POST", "/v1/estimate", R"({"chain_id": "lucid-test"})").status, 400);
}

TEST_F(VmApiTest, StatusHealthAndMetricsCountCallsEstimatesAndTheChainsGas) {
  add_block({test_client::anchor_transaction(sender, 0, 7), test_client::anchor_transaction(sender, 1, 8)},
            true);
  VmApi api(source, {});
  post(api, "/v1/call", get_anchor(7), 200);
  post(api, "/v1/call", get_anchor(99), 422);
  post(api, "/v1/estimate", transaction_to_json(test_client::anchor_transaction(sender, 2, 9)), 200);
  api.probe();

  json status = get(api, "/v1/status", 200);
  EXPECT_EQ(status["observer"], true);
  EXPECT_EQ(status["final_height"], 1);
  const json& figures = status["vm"];
  EXPECT_EQ(figures["calls"], 2);
  EXPECT_EQ(figures["reverts"], 1);
  EXPECT_EQ(figures["estimates"], 1);
  EXPECT_EQ(figures["latency_ms"]["samples"], 4);  // two calls, an estimate, a probe
  EXPECT_EQ(figures["latency_ms"]["budget"], 50);
  EXPECT_EQ(figures["probe"]["runs"], 1);
  EXPECT_EQ(figures["probe"]["error"], "");
  const json& anchors = figures["contracts"]["AnchorRegistry"];
  EXPECT_EQ(anchors["functions"]["getAnchor"]["calls"], 2);
  EXPECT_EQ(anchors["functions"]["anchor"]["estimates"], 1);
  // The chain's two executed anchors, counted by the probe from the observer's blocks.
  EXPECT_EQ(anchors["functions"]["anchor"]["transactions"], 2);
  EXPECT_EQ(anchors["gas_used"],
            ledger.block(1)->receipts[0].gas_used + ledger.block(1)->receipts[1].gas_used);
  api.probe();  // counts each block once
  EXPECT_EQ(get(api, "/v1/status", 200)["vm"]["transactions"], 2);

  EXPECT_EQ(get(api, "/health", 200)["ok"], true);
  const std::string metrics = request(api, "GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(lucid_chain_vm_calls_total{contract="AnchorRegistry",function="getAnchor"} 2)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(
      metrics.find(R"(lucid_chain_vm_transactions_total{contract="AnchorRegistry",function="anchor"} 2)"),
      std::string::npos);
  EXPECT_NE(metrics.find(R"(lucid_chain_vm_execution_seconds{quantile="0.95"})"), std::string::npos);
  EXPECT_NE(metrics.find("lucid_chain_final_height 1"), std::string::npos);

  // An unknown contract is counted under "other", never as a label of its own.
  Transaction unknown{"lucid-test", {}, 2, "Mystery", Bytes{1, 2, 3, 4}, {}};
  sign_transaction(unknown, sender);
  json estimated = post(api, "/v1/estimate", transaction_to_json(unknown), 200);
  EXPECT_EQ(estimated["receipt"]["success"], false);
  EXPECT_NE(request(api, "GET", "/metrics")
                .body.find(R"(lucid_chain_vm_estimates_total{contract="other",function="other"} 1)"),
            std::string::npos);

  source.connected = false;
  EXPECT_NE(get(api, "/health", 503)["error"].get<std::string>().find("etcd unreachable"), std::string::npos);
  source.connected = true;
  source.halted = true;
  EXPECT_NE(get(api, "/health", 503)["error"].get<std::string>().find("halted"), std::string::npos);
  source.halted = false;

  // Over the latency budget: no execution takes 0 ms.
  VmApi strict(source, VmApiOptions{0ms, 5s});
  strict.probe();
  EXPECT_NE(get(strict, "/health", 503)["error"].get<std::string>().find("over the budget of 0 ms"),
            std::string::npos);
}

TEST_F(VmApiTest, TheAbiSelfTestIsServed) {
  VmApi api(source, {});
  json report = get(api, "/v1/abi-tests", 200);
  EXPECT_GT(report["passed"].get<std::size_t>(), 40u);
  EXPECT_EQ(report["failed"], 0);
  EXPECT_EQ(report["cases"].size(), report["passed"].get<std::size_t>());
}

TEST_F(VmApiTest, TheProbeRunsOnItsOwnThreadUntilTheApiIsDestroyed) {
  VmApi api(source, VmApiOptions{50ms, 20ms});
  api.start_probe();
  ASSERT_TRUE(lucid::testing::wait_until(
      [&] { return get(api, "/v1/status", 200)["vm"]["probe"]["runs"] >= 3; }, 5s));
}

}  // namespace
}  // namespace lucid::chain
