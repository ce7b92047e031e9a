// Lint rules against their fixtures (one failing and one passing per rule), the robustness cases
// (a finding with position and hint, never a crash), and `lucidctl lint` itself.
#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lint/fixture.h"
#include "lucid/lint/lint.h"
#include "testing/testing.h"

namespace lucid::lint {
namespace {

namespace fs = std::filesystem;
using fleet::Finding;
using lucid::testing::ScratchDir;
using testing::fixtures_dir;
using testing::materialize;

std::vector<Finding> lint_fixture(const fs::path& fixture, const ScratchDir& dir) {
  materialize(fixture, dir.path() / "repo");
  return lint_repo(dir.path() / "repo");
}

std::string dump(const std::vector<Finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += "  " + fleet::to_text(f) + "\n";
  return s;
}

bool has_rule(const std::vector<Finding>& fs, std::string_view id) {
  return std::any_of(fs.begin(), fs.end(), [&](const Finding& f) { return f.rule_id == id; });
}

std::string source_dir() {
  return LUCID_SOURCE_DIR;
}

TEST(LintBase, BaseRepoIsClean) {
  auto findings = lint_repo(fixtures_dir() / "base");
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(LintRegistry, IdsAreUniqueAndSeveritiesSet) {
  std::set<std::string_view> ids;
  for (const auto& r : rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_NE(r.severity, fleet::Severity::kInfo) << r.id;
  }
  EXPECT_GE(rules().size(), 40u);
}

TEST(LintRegistry, EveryRuleHasADocPageAndFixtures) {
  std::ifstream in(source_dir() + "/docs/lint-rules.md");
  std::stringstream doc;
  doc << in.rdbuf();
  for (const auto& r : rules()) {
    std::string id(r.id);
    EXPECT_NE(doc.str().find("## `" + id + "`"), std::string::npos)
        << id << " has no page in docs/lint-rules.md";
    EXPECT_TRUE(fs::is_regular_file(fixtures_dir() / id / "fail/fixture.yaml")) << id;
    EXPECT_TRUE(fs::is_regular_file(fixtures_dir() / id / "pass/fixture.yaml")) << id;
  }
  // No fixture without a rule.
  for (const auto& family : fs::directory_iterator(fixtures_dir())) {
    std::string name = family.path().filename().string();
    if (name == "base" || name == "robustness") continue;
    for (const auto& rule : fs::directory_iterator(family.path()))
      EXPECT_NE(find_rule(name + "/" + rule.path().filename().string()), nullptr) << rule.path();
  }
}

class RuleFixtures : public ::testing::TestWithParam<std::string> {};

TEST_P(RuleFixtures, FailingFixtureReportsTheRule) {
  ScratchDir dir;
  auto findings = lint_fixture(fixtures_dir() / GetParam() / "fail", dir);
  EXPECT_TRUE(has_rule(findings, GetParam())) << GetParam() << " not reported; got:\n" << dump(findings);
  for (const auto& f : findings)
    if (f.rule_id == GetParam()) {
      EXPECT_FALSE(f.file.empty());
      EXPECT_FALSE(f.hint.empty()) << fleet::to_text(f);
      EXPECT_EQ(f.severity, find_rule(GetParam())->severity);
    }
}

TEST_P(RuleFixtures, PassingFixtureIsClean) {
  ScratchDir dir;
  auto findings = lint_fixture(fixtures_dir() / GetParam() / "pass", dir);
  EXPECT_FALSE(has_rule(findings, GetParam())) << dump(findings);
  EXPECT_FALSE(fleet::has_errors(findings)) << dump(findings);
}

std::vector<std::string> rule_ids() {
  std::vector<std::string> ids;
  for (const auto& r : rules()) ids.emplace_back(r.id);
  return ids;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Rules, RuleFixtures, ::testing::ValuesIn(rule_ids()), test_name);

class Robustness : public ::testing::TestWithParam<std::string> {};

TEST_P(Robustness, FindingWithPositionAndHint) {
  fs::path fixture = fixtures_dir() / "robustness" / GetParam();
  std::string expect = testing::expected_rule(fixture);
  ASSERT_FALSE(expect.empty());
  ScratchDir dir;
  auto findings = lint_fixture(fixture, dir);
  bool found = false;
  for (const auto& f : findings)
    if (f.rule_id == expect) {
      found = true;
      EXPECT_FALSE(f.file.empty());
      EXPECT_GT(f.line, 0) << fleet::to_text(f);
      EXPECT_GT(f.col, 0) << fleet::to_text(f);
      EXPECT_FALSE(f.hint.empty()) << fleet::to_text(f);
      EXPECT_EQ(f.severity, fleet::Severity::kError);
    }
  EXPECT_TRUE(found) << expect << " not reported; got:\n" << dump(findings);
}

std::vector<std::string> robustness_cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fixtures_dir() / "robustness"))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Cases, Robustness, ::testing::ValuesIn(robustness_cases()), test_name);

TEST(LintRobustness, CycleFindingNamesThePath) {
  ScratchDir dir;
  auto findings = lint_fixture(fixtures_dir() / "deps/cycle/fail", dir);
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const Finding& f) { return f.rule_id == "deps/cycle"; });
  ASSERT_NE(it, findings.end());
  EXPECT_TRUE(it->message.find("walletd -> tron-node -> walletd") != std::string::npos ||
              it->message.find("tron-node -> walletd -> tron-node") != std::string::npos)
      << it->message;
}

// Each mistake of a tunnel is its own finding, at its line, saying what beta would do with it.
TEST(LintTunnels, EachMistakeIsNamedAtItsLine) {
  ScratchDir dir;
  auto findings = lint_fixture(fixtures_dir() / "planes/tunnels/fail", dir);
  std::vector<std::string> got;
  for (const auto& f : findings)
    if (f.rule_id == "planes/tunnels") got.push_back(fmt::format("{}:{}: {}", f.file, f.line, f.message));
  const std::vector<std::string> want = {
      "policies/tunnels.yaml:4: tunnels[0].listen: beta already listens on port 9050 (resolver 7000, SOCKS "
      "9050, "
      "metrics 9105)",
      "policies/tunnels.yaml:5: tunnels[0]: cluster site-2 pins no wallet onion (BETA_ONION_WALLET in "
      "clusters/site-2/.env); beta of site-1 would refuse to start",
      "policies/tunnels.yaml:5: tunnels[0].to: tron-node does not expose port 8080 (com.lucid.expose)",
      "policies/tunnels.yaml:6: tunnels[1].at: no cluster 'site-3' in clusters.yaml",
      "policies/tunnels.yaml:9: tunnels[1].to: walletd is on plane 'wallet', not ops",
      "policies/tunnels.yaml:10: tunnels[2].to: 'tron-node@site-2' is not <service>:<port>@<cluster>",
  };
  for (const auto& w : want)
    EXPECT_NE(std::find(got.begin(), got.end(), w), got.end()) << w << "\nnot among:\n"
                                                               << fmt::format("{}", fmt::join(got, "\n"));
}

TEST(LintRobustness, MissingComposeFileIsAFileFinding) {
  ScratchDir dir;
  materialize(fixtures_dir() / "planes/bridge/pass", dir.path() / "repo");
  fs::remove(dir.path() / "repo/infrastructure/compose/docker-compose.yml");
  auto findings = lint_repo(dir.path() / "repo");
  ASSERT_TRUE(has_rule(findings, "load/missing-file")) << dump(findings);
  EXPECT_TRUE(fleet::has_errors(findings));
}

TEST(LintRobustness, DegenerateFilesDoNotCrash) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"infrastructure/compose/docker-compose.yml", ""},
      {"infrastructure/compose/docker-compose.yml", "services: [a, b]\n"},
      {"infrastructure/compose/docker-compose.yml",
       "services:\n  a:\n    depends_on: {b: 1}\n    healthcheck: []\n"},
      {"infrastructure/compose/docker-compose.yml", "services:\n  a: ~\n  b: 3\n"},
      {"clusters/clusters.yaml", "- a\n- b\n"},
      {"clusters/clusters.yaml", "clusters:\n  - id: ../x\n  - {}\n  - id: [a]\nwaves: {a: 1}\n"},
      {"secrets/site-1.enc.yaml", "just a string\n"},
      {"secrets/site-1.enc.yaml", "sops: []\na: [1, {b: ~}]\n"},
      {"policies/profiles.yaml", "profiles: [a]\n"},
      {"policies/acl.yaml", "planes:\n  wallet:\n    allow: {from: a}\n"},
      {"policies/privileged.yaml", "services:\n  beta: 1\n"},
      {"clusters/site-1/.env", "=\n'unterminated\nexport\n\"\\\n"},
  };
  for (const auto& [file, text] : cases) {
    ScratchDir dir;
    materialize(fixtures_dir() / "planes/bridge/pass", dir.path() / "repo");
    std::ofstream(dir.path() / "repo" / file, std::ios::trunc) << text;
    auto findings = lint_repo(dir.path() / "repo");
    EXPECT_TRUE(fleet::has_errors(findings)) << file << ":\n" << text;
  }
}

// The binary.
lucid::testing::RunResult lucidctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {(lucid::testing::bin_dir() / "lucidctl").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return lucid::testing::run(argv);
}

TEST(LucidctlLint, DeployIsClean) {
  auto r = lucidctl({"lint", source_dir() + "/deploy"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(LucidctlLint, FindingsPrintSortedAndExitOne) {
  ScratchDir dir;
  materialize(fixtures_dir() / "hardening/user/fail", dir.path() / "repo");
  std::ofstream(dir.path() / "repo/clusters/site-1/.env", std::ios::app) << "DEBUG=1\n";
  auto r = lucidctl({"lint", (dir.path() / "repo").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  std::regex line_re(R"(^([^:]+):(\d+):(\d+): (error|warning) ([a-z-]+/[a-z-]+): .+ \(.+\)$)");
  std::istringstream lines(r.out);
  std::string line;
  std::vector<std::pair<std::string, int>> order;
  while (std::getline(lines, line)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, line_re)) << line;
    order.emplace_back(m[1], std::stoi(m[2]));
  }
  ASSERT_EQ(order.size(), 2u) << r.out;
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << r.out;
  EXPECT_EQ(order[0].first, "clusters/site-1/.env");
}

TEST(LucidctlLint, JsonIsAnArrayOfFindings) {
  ScratchDir dir;
  materialize(fixtures_dir() / "net/udp/fail", dir.path() / "repo");
  auto r = lucidctl({"lint", (dir.path() / "repo").string(), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u) << r.out;
  EXPECT_EQ(j[0]["rule_id"], "net/udp");
  EXPECT_EQ(j[0]["severity"], "error");
  EXPECT_EQ(j[0]["file"], "infrastructure/compose/docker-compose.yml");
  EXPECT_GT(j[0]["line"].get<int>(), 0);
  EXPECT_GT(j[0]["col"].get<int>(), 0);
  EXPECT_FALSE(j[0]["hint"].get<std::string>().empty());
  auto clean = lucidctl({"lint", source_dir() + "/deploy", "--json"});
  EXPECT_EQ(clean.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(clean.out), nlohmann::json::array());
}

TEST(LucidctlLint, WarningsAloneExitZero) {
  ScratchDir dir;
  materialize(fixtures_dir() / "net/host-ports/fail", dir.path() / "repo");
  auto r = lucidctl({"lint", (dir.path() / "repo").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("warning net/host-ports"), std::string::npos) << r.out;
}

TEST(LucidctlLint, UsageAndIoErrorsExitTwo) {
  EXPECT_EQ(lucidctl({"lint", "/nonexistent/repo"}).exit_code, 2);
  EXPECT_EQ(lucidctl({"lint", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(lucidctl({"lint", "a", "b"}).exit_code, 2);
}

}  // namespace
}  // namespace lucid::lint
