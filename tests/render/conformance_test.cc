// tests/compose-conformance/*: each case rendered by docker-compose 1.29 (`config`) and by
// `lucidctl render -f`, compared semantically. Normalisations (the only ones):
//  1. both outputs are parsed as YAML (PyYAML semantics) into JSON, so formatting, key order,
//     quoting and anchors/aliases (1.29 writes `&id001`) do not matter;
//  2. 1.29's `version` key is dropped (it adds "3.9");
//  3. 1.29's `config` does not filter by profile: its services are reduced to those lucidctl's
//     selection rule keeps (no profiles, or a profile in case.json's list) before comparing;
//  4. networks/volumes are compared as they are.
// Rejections: a case with "reject": true must make both tools exit non-zero.
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/yaml/loader.h"
#include "lucid/yaml/scalar.h"
#include "testing/testing.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json parse_yaml(const std::string& text) {
  auto node = lucid::yaml::parse(text, "<output>");
  if (!node) return json("YAML ERROR: " + node.error().message);
  auto j = lucid::yaml::to_json(*node);
  return j ? *j : json("JSON ERROR: " + j.error().message);
}

std::vector<std::string> base_argv() {
  return {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin"};
}

TEST(ComposeConformance, EveryCaseAgreesWithDockerCompose) {
  if (!fs::exists("/usr/bin/docker-compose")) GTEST_SKIP() << "docker-compose (1.29) is not installed";
  fs::path root = fs::path(LUCID_SOURCE_DIR) / "tests/compose-conformance";
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 30u);
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.filename().string());
    std::ifstream in(dir / "case.json");
    json c = json::parse(in);
    auto dc = base_argv();
    dc.push_back("/usr/bin/docker-compose");
    auto lc = base_argv();
    lc.push_back((lucid::testing::bin_dir() / "lucidctl").string());
    lc.push_back("render");
    for (auto* argv : {&dc, &lc}) {
      argv->push_back("-f");
      argv->push_back((dir / "docker-compose.yml").string());
      argv->push_back("--project-directory");
      argv->push_back(dir.string());
      for (const auto& e : c["env_files"]) {
        argv->push_back("--env-file");
        argv->push_back((dir / e.get<std::string>()).string());
      }
      for (const auto& p : c["profiles"]) {
        argv->push_back("--profile");
        argv->push_back(p.get<std::string>());
      }
    }
    dc.push_back("config");
    auto d = lucid::testing::run(dc);
    auto l = lucid::testing::run(lc);
    if (c.value("reject", false)) {
      EXPECT_NE(d.exit_code, 0) << "docker-compose accepted: " << d.out;
      EXPECT_NE(l.exit_code, 0) << "lucidctl accepted: " << l.out;
      continue;
    }
    ASSERT_EQ(d.exit_code, 0) << d.err;
    ASSERT_EQ(l.exit_code, 0) << l.err;
    json want = parse_yaml(d.out), got = parse_yaml(l.out);
    want.erase("version");
    std::set<std::string> active;
    for (const auto& p : c["profiles"]) active.insert(p.get<std::string>());
    json selected = json::object();
    for (auto it = want["services"].begin(); it != want["services"].end(); ++it) {
      bool on = !it.value().contains("profiles");
      for (const auto& p : it.value().value("profiles", json::array()))
        on = on || active.contains(p.get<std::string>());
      if (on) selected[it.key()] = it.value();
    }
    want["services"] = selected;
    EXPECT_EQ(got.dump(2), want.dump(2));
  }
}

}  // namespace
