// The VM's ABI self-test (abi_self_test.h): every case passes with the vectors built into the binary,
// which are the file in the tree; a tampered or malformed vector fails its own case, naming the
// difference, and only that case.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "lucid/chain/abi_self_test.h"
#include "lucid/chain/embedded_files.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

using nlohmann::json;

json file_vectors() {
  std::ifstream in(testing::project_vectors_dir() / "chain" / "abi.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

const AbiCaseResult* find_case(const AbiSelfTestReport& report, const std::string& name) {
  auto it = std::ranges::find(report.cases, name, &AbiCaseResult::name);
  return it == report.cases.end() ? nullptr : &*it;
}

// The vector of `kind` for `contract`.`name`.
json& vector_of(json& document, const char* kind, const std::string& contract, const std::string& name) {
  for (json& vector : document[kind])
    if (vector["contract"] == contract && vector["name"] == name) return vector;
  ADD_FAILURE() << "no vector " << contract << "." << name;
  static json none;
  return none;
}

// Flips the last hex digit of a "0x..." string.
void flip_last_digit(json& text) {
  std::string value = text.get<std::string>();
  value.back() = value.back() == '0' ? '1' : '0';
  text = value;
}

TEST(VmAbiSelfTest, EveryCasePassesWithTheBuiltInVectors) {
  const AbiSelfTestReport report = run_abi_self_test();
  for (const AbiCaseResult& one : report.cases) EXPECT_TRUE(one.ok) << one.name << ": " << one.detail;
  EXPECT_EQ(report.failed(), 0u);
  const json document = file_vectors();
  const std::size_t vectors =
      document["codec"].size() + document["functions"].size() + document["events"].size();
  // Every vector, five coverage cases (one per contract), and the twelve execution cases (two anchors,
  // four parameters, a proposal, five of the payout routers).
  EXPECT_EQ(report.passed(), vectors + 5 + 12);
  for (const char* name :
       {"AnchorRegistry: anchor then getAnchor", "AnchorRegistry: a second anchor of one session reverts",
        "ParamRegistry: get(timelockBlocks) is its default and bounds",
        "Governance: propose out of bounds reverts", "call AnchorRegistry.anchor",
        "event AnchorRegistry.Anchored", "codec (uint8,uint256,uint32)", "vectors cover PR0",
        "vectors cover PRKYC", "call PRKYC.recordBatch", "event PR0.BatchSettled",
        "PR0: a non-recorder's recordBatch reverts", "PR0: addRecorder, recordBatch then getBatch",
        "PR0: an over-payment reverts", "PR0: receipts to settlement", "PRKYC: recordBatch needs a KYC root"})
    EXPECT_NE(find_case(report, name), nullptr) << name;
  const json as_json = report.to_json();
  EXPECT_EQ(as_json["passed"], report.passed());
  EXPECT_EQ(as_json["failed"], 0);
  EXPECT_EQ(as_json["cases"].size(), report.cases.size());
}

TEST(VmAbiSelfTest, TheBuiltInVectorsAreTheFileInTheTree) {
  ASSERT_EQ(embedded_abi_vectors().size(), 1u);
  EXPECT_EQ(json::parse(embedded_abi_vectors().front().text), file_vectors());
}

TEST(VmAbiSelfTest, ATamperedCallVectorFailsItsCaseNamingTheByte) {
  json document = file_vectors();
  json& anchor = vector_of(document, "functions", "AnchorRegistry", "anchor");
  flip_last_digit(anchor["calldata"]);
  const AbiSelfTestReport report = run_abi_self_test(document);
  EXPECT_EQ(report.failed(), 1u);
  const AbiCaseResult* failed = find_case(report, "call AnchorRegistry.anchor");
  ASSERT_NE(failed, nullptr);
  EXPECT_FALSE(failed->ok);
  EXPECT_NE(failed->detail.find("the calldata differs from ethers' at byte 195"), std::string::npos)
      << failed->detail;
  EXPECT_EQ(report.to_json()["failed"], 1);
}

TEST(VmAbiSelfTest, TheComparisonsRefuseEachKindOfTampering) {
  json document = file_vectors();
  json codec = document["codec"][0];
  ASSERT_TRUE(check_codec_vector(codec));
  flip_last_digit(codec["encoded"]);
  auto refused = check_codec_vector(codec);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("the encoding differs"), std::string::npos)
      << refused.error().message;

  // A selector that is not the function's.
  const auto run = [&](const json& tampered) { return run_abi_self_test(tampered); };
  json wrong_selector = document;
  vector_of(wrong_selector, "functions", "ParamRegistry", "get")["selector"] = "0x00000000";
  const AbiSelfTestReport selector_report = run(wrong_selector);
  const AbiCaseResult* selector_case = find_case(selector_report, "call ParamRegistry.get");
  ASSERT_NE(selector_case, nullptr);
  EXPECT_FALSE(selector_case->ok);
  EXPECT_NE(selector_case->detail.find("selector"), std::string::npos) << selector_case->detail;

  // An event's data and its decoding.
  json wrong_data = document;
  flip_last_digit(vector_of(wrong_data, "events", "AnchorRegistry", "Anchored")["data"]);
  const AbiSelfTestReport data_report = run(wrong_data);
  const AbiCaseResult* data_case = find_case(data_report, "event AnchorRegistry.Anchored");
  ASSERT_NE(data_case, nullptr);
  EXPECT_FALSE(data_case->ok);

  // A malformed vector is a failed case, not an exception.
  json malformed = document;
  vector_of(malformed, "functions", "AnchorRegistry", "getAnchor").erase("calldata");
  const AbiSelfTestReport malformed_report = run(malformed);
  const AbiCaseResult* malformed_case = find_case(malformed_report, "call AnchorRegistry.getAnchor");
  ASSERT_NE(malformed_case, nullptr);
  EXPECT_FALSE(malformed_case->ok);
  EXPECT_NE(malformed_case->detail.find("malformed vector"), std::string::npos) << malformed_case->detail;
  EXPECT_EQ(malformed_report.failed(), 1u);

  // A member without its vector fails the coverage case.
  json uncovered = document;
  auto& functions = uncovered["functions"];
  functions.erase(std::ranges::find_if(functions, [](const json& v) { return v["name"] == "governors"; }));
  const AbiSelfTestReport coverage_report = run(uncovered);
  const AbiCaseResult* coverage = find_case(coverage_report, "vectors cover Governance");
  ASSERT_NE(coverage, nullptr);
  EXPECT_FALSE(coverage->ok);
  EXPECT_NE(coverage->detail.find("Governance.governors"), std::string::npos) << coverage->detail;

  // No vectors at all: one failed case, never a pass.
  const AbiSelfTestReport empty = run(json::object());
  EXPECT_EQ(empty.passed(), 0u);
  EXPECT_EQ(empty.failed(), 1u);
}

}  // namespace
}  // namespace lucid::chain
