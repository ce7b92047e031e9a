// The Solidity ABI layer of lucid::chain against vectors made by ethers (tests/vectors/chain/abi.json,
// reproduced by the chain_abi_vectors_from_ethers test), and its refusals of malformed input.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/abi_self_test.h"
#include "lucid/chain/contract_abi.h"
#include "lucid/chain/keccak.h"
#include "testing/testing.h"

namespace lucid::chain {
namespace {

using Json = nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Json vectors() {
  return Json::parse(read_text(testing::project_vectors_dir() / "chain" / "abi.json"));
}

std::string hex(std::span<const std::uint8_t> bytes) {
  return "0x" + to_hex(bytes);
}

std::vector<AbiType> types_of(const Json& list) {
  std::vector<AbiType> types;
  for (const auto& text : list) {
    types.push_back(parse_abi_type(text.get<std::string>()).value());
  }
  return types;
}

std::vector<AbiValue> values_of(const std::vector<AbiType>& types, const Json& list) {
  std::vector<AbiValue> values;
  for (std::size_t i = 0; i < types.size(); ++i) {
    auto value = value_from_json(types[i], list.at(i));
    EXPECT_TRUE(value) << list.at(i) << ": " << value.error().message;
    values.push_back(value.value_or(AbiValue{}));
  }
  return values;
}

ContractAbi contract(const std::string& name) {
  if (name == "Probe") {
    Json document = vectors();
    return parse_contract_abi(document["probe_abi"].dump(), "probe_abi").value();
  }
  auto path = std::filesystem::path(LUCID_CHAIN_CONTRACTS_DIR) / (name + ".abi.json");
  auto abi = parse_contract_abi(read_text(path), path.string());
  EXPECT_TRUE(abi) << abi.error().message;
  return abi.value();
}

TEST(Keccak256, KnownAnswersAreKeccakNotSha3) {
  EXPECT_EQ(to_hex(keccak256("")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(to_hex(keccak256("abc")), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  // SHA3-256("") is a7ffc6f8...: the NIST padding would give that.
  EXPECT_NE(to_hex(keccak256("")).substr(0, 8), "a7ffc6f8");
  EXPECT_EQ(to_hex(keccak256("transfer(address,uint256)")).substr(0, 8), "a9059cbb");
}

// The comparisons are the VM's own (abi_self_test.h), run here against the file in the tree rather
// than the copy built into the binary, with the contracts' interfaces read from their files.
TEST(AbiCodec, EncodesEveryEthersVectorByteForByteAndDecodesItBack) {
  Json document = vectors();
  ASSERT_GE(document["codec"].size(), 10u);
  for (const Json& vector : document["codec"]) {
    auto checked = check_codec_vector(vector);
    EXPECT_TRUE(checked) << vector["types"].dump() << ": " << checked.error().message;
  }
}

TEST(ContractAbi, SelectorsAndCalldataAgreeWithEthers) {
  Json document = vectors();
  ASSERT_GE(document["functions"].size(), 4u);
  for (const Json& vector : document["functions"]) {
    auto checked = check_function_vector(vector, contract(vector["contract"]));
    EXPECT_TRUE(checked) << vector["signature"].get<std::string>() << ": " << checked.error().message;
  }
}

TEST(ContractAbi, EventLogsAgreeWithEthersBothWays) {
  Json document = vectors();
  ASSERT_GE(document["events"].size(), 3u);
  for (const Json& vector : document["events"]) {
    auto checked = check_event_vector(vector, contract(vector["contract"]));
    EXPECT_TRUE(checked) << vector["signature"].get<std::string>() << ": " << checked.error().message;
  }
}

// Every contract interface file: its name, from src/lucid/chain/contracts/<name>.abi.json.
std::vector<std::string> contract_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(LUCID_CHAIN_CONTRACTS_DIR)) {
    std::string file = entry.path().filename().string();
    if (file.ends_with(".abi.json")) {
      names.push_back(file.substr(0, file.size() - std::string_view(".abi.json").size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The vectors cover every function and event of every contract file (ethers made one for each).
TEST(ContractAbi, EthersVectorsCoverEveryContractMember) {
  Json document = vectors();
  auto has = [&](const char* kind, const std::string& contract, const std::string& name) {
    return std::any_of(document[kind].begin(), document[kind].end(), [&](const Json& vector) {
      return vector["contract"] == contract && vector["name"] == name;
    });
  };
  auto names = contract_names();
  EXPECT_GE(names.size(), 3u);  // AnchorRegistry, Governance, ParamRegistry
  for (const std::string& name : names) {
    ContractAbi abi = contract(name);
    for (const AbiFunction& function : abi.functions) {
      EXPECT_TRUE(has("functions", name, function.name)) << name << "." << function.name;
    }
    for (const AbiEvent& event : abi.events) {
      EXPECT_TRUE(has("events", name, event.name)) << name << "." << event.name;
    }
  }
}

// docs/formats.md's contract tables name each selector and topic; they must be the real ones.
TEST(ContractAbi, FormatsDocNamesEveryContractsSelectorsAndTopics) {
  std::string doc = read_text(std::filesystem::path(LUCID_DOCS_DIR) / "formats.md");
  for (const std::string& name : contract_names()) {
    ContractAbi abi = contract(name);
    for (const AbiFunction& function : abi.functions) {
      EXPECT_NE(doc.find(fmt::format("`{}`", hex(function.selector()))), std::string::npos)
          << name << ": " << function.signature();
    }
    for (const AbiEvent& event : abi.events) {
      EXPECT_NE(doc.find(fmt::format("`{}`", hex(event.topic()))), std::string::npos)
          << name << ": " << event.signature();
    }
  }
}

TEST(AbiType, CanonicalSpellingAndRefusals) {
  EXPECT_EQ(parse_abi_type("uint").value().canonical(), "uint256");
  EXPECT_EQ(parse_abi_type("int[]").value().canonical(), "int256[]");
  EXPECT_EQ(parse_abi_type("(uint8,(bytes,bool)[2])[]").value().canonical(), "(uint8,(bytes,bool)[2])[]");
  EXPECT_TRUE(parse_abi_type("(uint8,(bytes,bool)[2])").value().is_dynamic());
  EXPECT_FALSE(parse_abi_type("(uint8,bytes32[3])").value().is_dynamic());
  EXPECT_EQ(parse_abi_type("(uint8,bytes32[3])").value().head_size(), 128u);
  for (const char* bad : {"uint7", "uint264", "int0", "bytes0", "bytes33", "uint08", "address payable", "()",
                          "(uint8", "uint8)", "uint8[0]", "uint8[-1]", "uint8[01]", "[]", "string[",
                          "function", "", "uint256[1000000][1000000]", "((((((((((uint8))))))))))"}) {
    EXPECT_FALSE(parse_abi_type(bad)) << bad;
  }
}

TEST(AbiValue, RangesAreCheckedAndErrorsNameThePath) {
  auto uint8 = parse_abi_type("uint8").value();
  EXPECT_TRUE(value_from_json(uint8, "255"));
  EXPECT_FALSE(value_from_json(uint8, "256"));
  EXPECT_FALSE(value_from_json(uint8, "-1"));
  auto int8 = parse_abi_type("int8").value();
  EXPECT_TRUE(value_from_json(int8, "-128"));
  EXPECT_FALSE(value_from_json(int8, "-129"));
  EXPECT_FALSE(value_from_json(int8, "128"));
  auto int256 = parse_abi_type("int256").value();
  EXPECT_FALSE(value_from_json(
      int256, "-57896044618658097711785492504343953926634992332820282019728792003956564819969"));
  auto uint256 = parse_abi_type("uint256").value();
  EXPECT_FALSE(value_from_json(
      uint256, "115792089237316195423570985008687907853269984665640564039457584007913129639936"));
  for (const char* bad : {"", "-", "-0", "007", "1e3", "0x10", " 1", "+1"}) {
    EXPECT_FALSE(value_from_json(uint256, bad)) << bad;
  }
  auto bytes4 = parse_abi_type("bytes4").value();
  EXPECT_FALSE(value_from_json(bytes4, "0x0102"));
  EXPECT_FALSE(value_from_json(bytes4, "01020304"));
  auto address = parse_abi_type("address").value();
  EXPECT_FALSE(value_from_json(address, "0x00"));
  auto text = parse_abi_type("string").value();
  EXPECT_FALSE(check_value(text, AbiValue::text("\xC0\xAF")));      // overlong '/'
  EXPECT_FALSE(check_value(text, AbiValue::text("\xED\xA0\x80")));  // a surrogate
  auto tuple = parse_abi_type("(uint8,string)[]").value();
  auto bad = value_from_json(tuple, Json::parse(R"([["1","a"],["300","b"]])"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("[1]"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("out of range"), std::string::npos) << bad.error().message;
  AbiValue minus42 = value_from_json(int256, "-42").value();
  EXPECT_EQ(word_to_decimal(std::get<AbiWord>(minus42.value), true), "-42");
  EXPECT_EQ(word_to_decimal(std::get<AbiWord>(minus42.value), false).size(), 78u);  // 2^256 - 42 unsigned
}

// Decoding accepts only the canonical bytes: every tampering of a valid encoding is refused.
TEST(AbiCodec, DecodingIsStrict) {
  auto types = types_of(Json::parse(R"(["uint8","bool","bytes","uint256[]"])"));
  auto values = values_of(types, Json::parse(R"(["7",true,"0x0102",["5"]])"));
  Bytes good = abi_encode(types, values).value();
  ASSERT_TRUE(abi_decode(types, good));

  auto refused = [&](Bytes data, const char* what) {
    auto decoded = abi_decode(types, data);
    EXPECT_FALSE(decoded) << what;
    if (!decoded) {
      EXPECT_EQ(decoded.error().kind, ErrorKind::kCorrupt) << what;
    }
  };
  Bytes data = good;
  data[30] = 1;  // uint8 with a high byte set: out of range
  refused(data, "uint8 out of range");
  data = good;
  data[63] = 2;
  refused(data, "bool 2");
  data = good;
  data.push_back(0);
  refused(data, "a trailing byte");
  data = good;
  data.resize(good.size() - 1);
  refused(data, "truncated");
  data = good;
  // The bytes' padding: after its length word (at its offset 0x80) and two data bytes.
  data[0x80 + 32 + 5] = 0xFF;
  refused(data, "non-zero padding");
  data = good;
  data[95] += 32;  // the bytes' offset moved by a word
  refused(data, "moved offset");
  data = good;
  data[0x80 + 16] = 0xFF;  // a length larger than any input
  refused(data, "huge length");
  refused({}, "empty");
}

TEST(AbiCodec, OffsetsThatReuseBytesAreRefusedBeforeTheyCostMemory) {
  // A uint256[][] whose n inner offsets all point to one n-element array: n*n values from n words.
  auto types = types_of(Json::parse(R"(["uint256[][]"])"));
  const std::size_t n = 4000;
  Bytes data(32 * (2 + n + 1 + n), 0);
  auto put = [&](std::size_t word, std::size_t value) {
    for (std::size_t i = 0; i < 8; ++i) {
      data[32 * word + 31 - i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
  };
  put(0, 32);  // offset of the outer array
  put(1, n);   // its length
  for (std::size_t i = 0; i < n; ++i) {
    put(2 + i, 32 * n);  // every inner offset points to the same array (relative to word 2)
  }
  put(2 + n, n);  // the shared inner array's length
  auto decoded = abi_decode(types, data);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("reuse"), std::string::npos) << decoded.error().message;
}

TEST(ContractAbi, RefusesWhatLucidContractsDoNotUse) {
  EXPECT_FALSE(parse_contract_abi("{}", "x"));
  EXPECT_FALSE(parse_contract_abi("not json", "x"));
  auto overload = parse_contract_abi(
      R"([{"type":"function","name":"f","inputs":[]},{"type":"function","name":"f","inputs":[{"name":"a","type":"uint8"}]}])",
      "overload.abi.json");
  ASSERT_FALSE(overload);
  EXPECT_NE(overload.error().message.find("overload.abi.json"), std::string::npos);
  EXPECT_FALSE(parse_contract_abi(
      R"([{"type":"event","name":"E","inputs":[{"name":"a","type":"uint8","indexed":true},{"name":"b","type":"uint8","indexed":true},{"name":"c","type":"uint8","indexed":true},{"name":"d","type":"uint8","indexed":true}]}])",
      "x"));
  EXPECT_FALSE(parse_contract_abi(
      R"([{"type":"event","name":"E","inputs":[{"name":"a","type":"uint8[]","indexed":true}]}])", "x"));
  EXPECT_FALSE(
      parse_contract_abi(R"([{"type":"function","name":"f","inputs":[{"name":"a","type":"tuple"}]}])", "x"));
  EXPECT_TRUE(parse_contract_abi(
      R"([{"type":"constructor","inputs":[]},{"type":"error","name":"E","inputs":[]}])", "x"));

  ContractAbi anchors = contract("AnchorRegistry");
  const AbiFunction* anchor = anchors.function("anchor");
  ASSERT_NE(anchor, nullptr);
  Bytes calldata =
      encode_call(*anchor, std::vector<AbiValue>{AbiValue::bytes(Bytes(16, 1)), AbiValue::bytes(Bytes(32, 2)),
                                                 AbiValue::bytes(Bytes(32, 3)), AbiValue::uint(1),
                                                 AbiValue::uint(2), AbiValue::bytes(Bytes(32, 4))})
          .value();
  calldata[0] ^= 1;
  EXPECT_FALSE(decode_call(*anchor, calldata));
  EXPECT_FALSE(encode_call(*anchor, std::vector<AbiValue>{AbiValue::uint(1)}));
}

}  // namespace
}  // namespace lucid::chain
