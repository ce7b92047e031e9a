#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lucid/fleet/env_file.h"
#include "lucid/fleet/model.h"
#include "lucid/render/interpolate.h"
#include "lucid/render/render.h"
#include "lucid/yaml/emitter.h"
#include "lucid/yaml/loader.h"
#include "lucid/yaml/scalar.h"
#include "testing/testing.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace lucid;

TEST(Yaml, PositionsDuplicatesAndPyYamlTyping) {
  auto doc = yaml::parse("a: yes\nb: 0o17\nc: 017\nd: 1:30\ne: ~\nf: '1'\n", "t.yml");
  ASSERT_TRUE(doc);
  auto j = yaml::to_json(*doc);
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["a"], true);
  EXPECT_EQ((*j)["b"], "0o17");  // YAML 1.1: not an int
  EXPECT_EQ((*j)["c"], 15);
  EXPECT_EQ((*j)["d"], 90);
  EXPECT_TRUE((*j)["e"].is_null());
  EXPECT_EQ((*j)["f"], "1");
  EXPECT_EQ(doc->find("c")->mark.line, 3);
  EXPECT_EQ(doc->find("c")->mark.col, 4);
  auto dup = yaml::parse("a: 1\nb: 2\na: 3\n", "d.yml");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "d.yml:3:1: duplicate key 'a' (first defined at d.yml:1:1)");
  EXPECT_FALSE(yaml::parse("a: 1\n---\nb: 2\n", "m.yml"));
  EXPECT_FALSE(yaml::parse("a: [1\n", "bad.yml"));
  auto merged = yaml::parse("x: &x {a: 1, b: 2}\ny:\n  <<: *x\n  b: 3\n", "m.yml");
  ASSERT_TRUE(merged);
  EXPECT_EQ(yaml::to_json(*merged)->at("y"), (json{{"a", 1}, {"b", 3}}));
}

TEST(Yaml, EmitterRoundTrips) {
  json v = {{"s", "yes"},
            {"n", 1},
            {"f", 0.5},
            {"l", {"a", "b: c", "#x", ""}},
            {"m", json::object()},
            {"nl", "a\nb"},
            {"seq", json::array({{{"k", 1}, {"j", 2}}})}};
  auto back = yaml::parse(yaml::emit(v), "e.yml");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*yaml::to_json(*back), v);
}

TEST(Interpolation, SharedVectors) {
  auto dir = lucid::testing::shared_vectors_dir();
  if (!dir || !fs::exists(*dir / "compose/interpolation-cases.json")) GTEST_SKIP() << "no compose vectors";
  std::ifstream in(*dir / "compose/interpolation-cases.json");
  json v = json::parse(in);
  render::Environment env;
  for (auto it = v["env"].begin(); it != v["env"].end(); ++it) env[it.key()] = it.value();
  int differ129 = 0;
  for (const auto& c : v["cases"]) {
    std::string t = c["template"];
    auto spec = render::interpolate(t, env, render::Dialect::kComposeSpec);
    if (c.contains("expected")) {
      ASSERT_TRUE(spec) << t << ": " << spec.error().message;
      EXPECT_EQ(*spec, c["expected"].get<std::string>()) << t;
    } else {
      ASSERT_FALSE(spec) << t;
      EXPECT_NE(spec.error().message.find(c["error_contains"].get<std::string>()), std::string::npos) << t;
    }
    auto old = render::interpolate(t, env, render::Dialect::kCompose129);
    bool same = c.contains("expected") ? (old && *old == c["expected"].get<std::string>()) : !old;
    if (!same) {
      ++differ129;
      std::printf("compose 1.29 differs: %s -> %s\n", t.c_str(),
                  old ? old->c_str() : old.error().message.c_str());
    }
  }
  std::printf("%d of %zu cases differ in docker-compose 1.29's dialect\n", differ129, v["cases"].size());
}

TEST(EnvFile, DotenvFixtures) {
  auto dir = lucid::testing::shared_vectors_dir();
  if (!dir || !fs::exists(*dir / "compose/compose-go/dotenv/expected.json"))
    GTEST_SKIP() << "compose-go/dotenv fixtures absent";
  fs::path d = *dir / "compose/compose-go/dotenv";
  std::ifstream in(d / "expected.json");
  json v = json::parse(in);
  for (const auto& s : v["scenarios"]) {
    std::ifstream f(d / s["file"].get<std::string>());
    std::string text((std::istreambuf_iterator<char>(f)), {});
    std::map<std::string, std::string> os_env;
    for (auto it = s["os_env"].begin(); it != s["os_env"].end(); ++it) os_env[it.key()] = it.value();
    auto got = fleet::resolve_env_file(fleet::parse_env_file(text, s["file"]), os_env);
    for (auto it = s["expected"].begin(); it != s["expected"].end(); ++it) {
      auto g = got.find(it.key());
      std::string value = g == got.end() ? "<unset>" : g->second.value_or("<none>");
      if (value != it.value().get<std::string>())
        std::printf("python-dotenv (1.29) differs from compose-go: %s %s=%s (compose-go: %s)\n",
                    s["file"].get<std::string>().c_str(), it.key().c_str(), value.c_str(),
                    it.value().get<std::string>().c_str());
    }
  }
}

TEST(EnvFile, ComposeRules) {
  auto f = fleet::parse_env_file(
      "# c\nexport A=1\nB='x # y'\nC=\"l1\\nl2\" # c\nD=v # inline\nE=a#b\nF\n G = spaced \nbad line\n", "e");
  auto v = fleet::resolve_env_file(f, {});
  EXPECT_EQ(v["A"], "1");
  EXPECT_EQ(v["B"], "x # y");
  EXPECT_EQ(v["C"], "l1\nl2");
  EXPECT_EQ(v["D"], "v");
  EXPECT_EQ(v["E"], "a#b");
  EXPECT_FALSE(v["F"].has_value());
  EXPECT_EQ(v["G"], "spaced");
  ASSERT_EQ(f.invalid_lines.size(), 1u);
  EXPECT_EQ(f.invalid_lines[0].line, 9);
}

TEST(Render, EveryClusterOfTheReferenceRepo) {
  fs::path repo = fs::path(LUCID_SOURCE_DIR) / "deploy";
  auto model = fleet::load_model(repo);
  for (const auto& f : model.findings) ADD_FAILURE() << fleet::to_text(f);
  ASSERT_FALSE(model.clusters.empty());
  for (const auto& c : model.clusters) {
    render::LeaveReferences secrets;
    auto plan = render::render_cluster(repo, c.id.value, secrets);
    ASSERT_TRUE(plan) << c.id.value << ": " << plan.error().message;
    EXPECT_TRUE(plan->document["services"].contains("beta")) << c.id.value;
    EXPECT_EQ(plan->content_hash.size(), 64u);
    EXPECT_EQ(plan->project, "lucid-" + c.id.value);
    EXPECT_FALSE(plan->secrets.empty());
    for (const auto& s : plan->secrets) EXPECT_FALSE(s.resolved);
    auto again = render::render_cluster(repo, c.id.value, secrets);
    EXPECT_EQ(again->content_hash, plan->content_hash);
    // apply_yaml = document + one config-hash label per service - profiles (the plan is the
    // selection, so Compose must start every service); the hashes are those of `document`.
    auto applied = yaml::to_json(yaml::parse(plan->apply_yaml, "apply.yaml").value()).value();
    for (const auto& [svc, hash] : plan->service_hashes) {
      // A service using a secret reference is hashed with its files' ciphertext digests
      // (render::hash_without_secret_values; tests/sops/secret_config_hash_test.cc).
      const bool uses_secret = plan->document["services"][svc].dump().find("enc:sops:") != std::string::npos;
      if (!uses_secret) {
        EXPECT_EQ(hash, render::config_hash(plan->document["services"][svc])) << svc;
      }
      EXPECT_EQ(applied["services"][svc]["labels"][render::kConfigHashLabel], hash) << svc;
      EXPECT_FALSE(applied["services"][svc].contains("profiles")) << svc;
      auto stripped = applied["services"][svc];
      stripped["labels"].erase(render::kConfigHashLabel);
      if (plan->document["services"][svc].contains("profiles"))
        stripped["profiles"] = plan->document["services"][svc]["profiles"];
      if (stripped["labels"].empty() && !plan->document["services"][svc].contains("labels"))
        stripped.erase("labels");
      if (!uses_secret) {
        EXPECT_EQ(render::config_hash(stripped), hash) << svc;
      }
    }
    EXPECT_EQ(plan->yaml.find(render::kConfigHashLabel), std::string::npos);
  }
}

// What a cluster render gives beta from the rest of the repo: policies/acl.yaml as BETA_ACL_POLICY,
// policies/tunnels.yaml as BETA_TUNNELS, and the onions *other* clusters pin (BETA_ONION_<PLANE>) as
// BETA_DIRECTORY; a bad pin stops it.
TEST(Render, BetaGetsTheAclTunnelsAndTheOtherClustersOnionPins) {
  lucid::testing::ScratchDir dir;
  fs::copy(fs::path(LUCID_SOURCE_DIR) / "deploy", dir.path(), fs::copy_options::recursive);
  // Addresses of real keys (tor printed them); the checksum is checked.
  const std::string ops = "dnfpddjvweky26nbx5tgupiqpkz6sshqigpyu6pk4zptfvgdxdrabhad.onion";
  const std::string chain = "ydyxjfay6agmkjayg72k443qmelhl2i6jtqd7z2vacecxpjphg5hy6qd.onion";
  // A client authorization key in tor's base32 (52 characters; here the bytes 1..32).
  const std::string client = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QA";
  std::ofstream(dir / "clusters/core-chain-1/.env", std::ios::app)
      << "BETA_ONION_OPS=" << ops << "\nBETA_ONION_CHAIN=" << chain << "\nBETA_CLIENT_OPS=" << client << "\n";
  auto beta_env = [&](const std::string& cluster) {
    render::LeaveReferences secrets;
    auto plan = render::render_cluster(dir.path(), cluster, secrets);
    EXPECT_TRUE(plan) << cluster << ": " << plan.error().message;
    return plan ? plan->document["services"]["beta"]["environment"] : json();
  };
  EXPECT_FALSE(beta_env("canary-chain-1").contains("BETA_TUNNELS"));  // deploy/ declares none
  const std::string tunnels =
      "tunnels:\n  - at: canary-chain-1\n    plane: chain\n    listen: 12380\n"
      "    to: blockchain-core:2380@core-chain-1\n";
  std::ofstream(dir / "policies/tunnels.yaml") << tunnels;
  auto canary = beta_env("canary-chain-1");
  std::ifstream acl(dir / "policies/acl.yaml");
  EXPECT_EQ(canary["BETA_ACL_POLICY"], std::string(std::istreambuf_iterator<char>(acl), {}));
  EXPECT_EQ(canary["BETA_TUNNELS"], tunnels);
  EXPECT_EQ(canary["BETA_DIRECTORY"], "clusters:\n  \"core-chain-1\":\n    chain: " + chain + "\n    ops: " +
                                          ops + "\nclients:\n  \"core-chain-1\":\n    ops: " + client + "\n");
  // A cluster's own pins are not in its directory; with no other pin there is none.
  EXPECT_FALSE(beta_env("core-chain-1").contains("BETA_DIRECTORY"));

  std::ofstream(dir / "clusters/obs-1/.env", std::ios::app)
      << "BETA_ONION_OPS=" << ops.substr(0, 55) << "x.onion\n";
  render::LeaveReferences secrets;
  auto bad = render::render_cluster(dir.path(), "canary-chain-1", secrets);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("clusters/obs-1/.env:"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("BETA_ONION_OPS is not a v3 onion address"), std::string::npos)
      << bad.error().message;
}

TEST(Model, MalformedInputsBecomeFindings) {
  lucid::testing::ScratchDir dir;
  fs::create_directories(dir / "infrastructure/compose");
  fs::create_directories(dir / "clusters");
  std::ofstream(dir / "infrastructure/compose/docker-compose.yml")
      << "services:\n  a:\n    image: x\n    image: y\n";
  std::ofstream(dir / "clusters/clusters.yaml") << "clusters:\n  - id: c1\n    wave: w\nbogus: 1\n";
  auto m = fleet::load_model(dir.path());
  std::set<std::string> rules;
  for (const auto& f : m.findings) rules.insert(f.rule_id);
  EXPECT_TRUE(rules.contains("load/duplicate-key"));
  EXPECT_TRUE(rules.contains("load/unknown-key"));
  EXPECT_TRUE(rules.contains("load/missing-file"));
  fleet::Finding f{"a.yml", 3, 5, fleet::Severity::kError, "r-1", "msg", "do this"};
  EXPECT_EQ(fleet::to_text(f), "a.yml:3:5: error r-1: msg (do this)");
}
