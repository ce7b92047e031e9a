// lucid-sessions-gateway as a program: keygen and policy-hash make what serve is configured with;
// serve takes its token seed out of its environment, mints over HTTP, answers its healthcheck and
// stops on SIGTERM; configuration errors exit 2 naming what to fix and leave no store behind.
#include <signal.h>
#include <sys/wait.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/base/http_client.h"
#include "lucid/jwt/jwk.h"
#include "lucid/jwt/jwt.h"
#include "lucid/seal/keys.h"
#include "lucid/sessions/mint_request.h"
#include "testing/docker.h"
#include "testing/registry.h"
#include "testing/testing.h"

namespace lucid::sessions {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* const kSeedHex = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

std::string binary() {
  return (testing::bin_dir() / "lucid-sessions-gateway").string();
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class GatewayServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const testing::RunResult made = testing::run({binary(), "keygen", "--out", (dir_ / "node.key").string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto node = seal::load_node_key(dir_ / "node.key");
    ASSERT_TRUE(node) << node.error().message;
    node_ = std::move(*node);
    EXPECT_EQ(made.out, to_hex(node_.public_key()) + "\n");
    write_text(dir_ / "nodes", fmt::format("# the site's nodes\n{} edge-1\n", to_hex(node_.public_key())));
    write_text(dir_ / "policy.json", R"({"name": "lucid-privacy-standard", "version": 3})");
    const testing::RunResult pin = testing::run({binary(), "policy-hash", (dir_ / "policy.json").string()});
    ASSERT_EQ(pin.exit_code, 0) << pin.err;
    pin_ = pin.out.substr(0, pin.out.find('\n'));
    EXPECT_EQ(pin_, policy_hash(json{{"name", "lucid-privacy-standard"}, {"version", 3}}).value());
    port_ = testing::free_loopback_port();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  std::vector<std::string> serve_argv() const {
    return {binary(),        "serve",
            "--store",       fmt::format("sqlite:{}", (dir_ / "gateway.db").string()),
            "--nodes",       (dir_ / "nodes").string(),
            "--policy-pins", pin_,
            "--token-key",   (dir_ / "absent.key").string(),
            "--listen",      fmt::format("127.0.0.1:{}", port_)};
  }
  std::string url(const std::string& path) const { return fmt::format("http://127.0.0.1:{}{}", port_, path); }
  std::string log() const { return testing::file_tail(dir_ / "gateway.log", 2000); }

  testing::ScratchDir dir_;
  crypto::Ed25519KeyPair node_ = crypto::Ed25519KeyPair::generate();
  std::string pin_;
  int port_ = 0;
  int pid_ = -1;
};

TEST_F(GatewayServiceTest, ServesMintsWithTheSeedTakenOutOfItsEnvironment) {
  {
    testing::ScopedEnv seed("SESSIONS_TOKEN_SEED", kSeedHex);
    pid_ = testing::spawn(serve_argv(), dir_ / "gateway.out", dir_ / "gateway.log");
  }
  ASSERT_GT(pid_, 0);
  const std::string health = url("/health");
  ASSERT_TRUE(testing::wait_until(
      [&] {
        return testing::run({binary(), "health", "--url", health}).exit_code == 0;
      },
      20s))
      << log();
  // The seed is gone from the process's environment as /proc shows it.
  const auto environ_bytes = testing::read_bytes(fmt::format("/proc/{}/environ", pid_));
  EXPECT_EQ(std::string(environ_bytes.begin(), environ_bytes.end()).find(kSeedHex), std::string::npos);

  MintRequestFields fields;
  fields.nonce = new_mint_nonce();
  fields.timestamp_ms = wall_ms();
  fields.policy = json{{"version", 3}, {"name", "lucid-privacy-standard"}};
  const std::string request = sign_mint_request(node_, fields).value();
  auto minted = http_post(url("/v1/mint"), request);
  ASSERT_TRUE(minted) << minted.error().message;
  ASSERT_EQ(minted->status, 201) << minted->body;
  auto keys = http_get(url("/v1/keys"));
  ASSERT_TRUE(keys) << keys.error().message;
  auto key_set = jwt::key_set_from_jwks(json::parse(keys->body));
  ASSERT_TRUE(key_set) << key_set.error().message;
  crypto::Ed25519Seed seed;
  ASSERT_TRUE(from_hex_into(kSeedHex, seed.span()));
  const std::string kid = jwt::jwk_thumbprint(crypto::Ed25519KeyPair::from_seed(seed).public_key());
  ASSERT_NE(key_set->find(kid), nullptr) << keys->body;
  jwt::VerifyOptions verify{"sessions-gateway", "sessions-manifests", wall_ms() / 1000};
  auto claims = jwt::verify(json::parse(minted->body)["token"].get<std::string>(), *key_set, verify);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->subject(), to_hex(node_.public_key()));
  // The same request again mints nothing.
  auto replayed = http_post(url("/v1/mint"), request);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 409) << replayed->body;

  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << testing::describe_wait_status(status) << log();
  EXPECT_NE(testing::run({binary(), "health", "--url", health}).exit_code, 0) << "health after the stop";
}

TEST_F(GatewayServiceTest, ConfigurationErrorsExitTwoNamingWhatToFixAndLeaveNoStore) {
  struct Case {
    const char* what;
    std::string flag;
    std::string value;
    std::string expected;
  };
  write_text(dir_ / "bad-nodes", "not-a-key\n");
  for (const Case& c :
       {Case{"no allow-list", "--nodes", (dir_ / "none").string(), "--nodes:"},
        Case{"a bad allow-list line", "--nodes", (dir_ / "bad-nodes").string(), "bad-nodes:1:"},
        Case{"a bad pin", "--policy-pins", "abc", "--policy-pins: policy pin \"abc\""},
        Case{"no pin", "--policy-pins", "", "no privacy policy is pinned"},
        Case{"no key", "--token-key", (dir_ / "absent.key").string(), "SESSIONS_TOKEN_SEED"}}) {
    std::vector<std::string> argv = serve_argv();
    const auto flag = std::find(argv.begin(), argv.end(), c.flag);
    ASSERT_NE(flag, argv.end());
    *(flag + 1) = c.value;
    const testing::RunResult run = testing::run(argv);
    EXPECT_EQ(run.exit_code, 2) << c.what;
    EXPECT_NE(run.err.find(c.expected), std::string::npos) << c.what << ": " << run.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "gateway.db")) << c.what;
  }
  const testing::RunResult help = testing::run({binary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("SESSIONS_TOKEN_SEED"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace lucid::sessions
